package dev.sparkdl.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.SparkEnv;

/**
 * Where an executor writes spill files: inside its block manager's own local directory, which Spark
 * created for this executor alone (under the cluster manager's local dirs) and removes when the
 * executor or application ends, so even a killed task leaves nothing behind for long. The one place
 * spark-dl reaches into Spark internals (DiskBlockManager is private[spark]); outside Spark, a
 * per-process directory under the JVM's temporary directory.
 */
final class LocalDirs {

    private LocalDirs() {
    }

    static Path forSpills() {
        Path base = null;
        SparkEnv env = SparkEnv.get();
        if (env != null && env.blockManager() != null) {
            File[] dirs = env.blockManager().diskBlockManager().localDirs();
            if (dirs.length > 0) {
                base = dirs[0].toPath();
            }
        }
        if (base == null) {
            base = Path.of(System.getProperty("java.io.tmpdir"), "spark-dl-" + ProcessHandle.current().pid());
        }
        Path dir = base.resolve("spark-dl");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create spark-dl's spill directory " + dir, e);
        }
    }
}
