package dev.sparkdl.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.SparkEnv;

/**
 * Where an executor may write scratch files: the directories its cluster manager gave it (YARN's
 * LOCAL_DIRS, a standalone worker's SPARK_LOCAL_DIRS, {@code spark.local.dir}), else the JVM's
 * temporary directory. The only place spark-dl decides this.
 */
final class LocalDirs {

    private LocalDirs() {
    }

    static Path forSpills() {
        String dirs = System.getenv("LOCAL_DIRS");
        if (dirs == null) {
            dirs = System.getenv("SPARK_LOCAL_DIRS");
        }
        if (dirs == null && SparkEnv.get() != null) {
            dirs = SparkEnv.get().conf().get("spark.local.dir", null);
        }
        if (dirs == null) {
            dirs = System.getProperty("java.io.tmpdir");
        }
        Path dir = Path.of(dirs.split(",")[0].trim(), "spark-dl");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create spark-dl's spill directory " + dir, e);
        }
    }
}
