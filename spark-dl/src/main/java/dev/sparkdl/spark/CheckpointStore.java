package dev.sparkdl.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.sparkdl.train.Checkpoint;

/**
 * Checkpoints in any Hadoop FileSystem directory. A checkpoint is written under a temporary name
 * and renamed, so a reader never sees a partial one; {@link #latest} verifies each file's CRC32C
 * and falls back to the previous checkpoint when the newest is damaged.
 */
public final class CheckpointStore implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final String PREFIX = "ckpt-";
    private static final String SUFFIX = ".sdl";

    private final String directory;
    private final int keep;
    /** The driver's Hadoop settings (credentials, file system classes) for the executors. */
    private final HashMap<String, String> hadoopConf = new HashMap<>();

    public CheckpointStore(String directory, int keep, Configuration conf) {
        this.directory = directory;
        this.keep = Math.max(1, keep);
        for (Map.Entry<String, String> entry : conf) {
            hadoopConf.put(entry.getKey(), entry.getValue());
        }
    }

    public String directory() {
        return directory;
    }

    private FileSystem fs() throws IOException {
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        return new Path(directory).getFileSystem(conf);
    }

    static String name(long globalStep) {
        return String.format("%s%012d%s", PREFIX, globalStep, SUFFIX);
    }

    public void write(Checkpoint checkpoint) {
        try {
            FileSystem fs = fs();
            Path dir = new Path(directory);
            fs.mkdirs(dir);
            Path target = new Path(dir, name(checkpoint.globalStep()));
            Path temp = new Path(dir, "." + target.getName() + ".tmp");
            try (OutputStream out = fs.create(temp, true)) {
                out.write(checkpoint.encode());
            }
            fs.delete(target, false);
            if (!fs.rename(temp, target)) {
                throw new IOException("cannot rename " + temp + " to " + target);
            }
            prune(fs, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a checkpoint to " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Newest first. */
    private List<Path> checkpoints(FileSystem fs, Path dir) throws IOException {
        List<Path> paths = new ArrayList<>();
        if (!fs.exists(dir)) {
            return paths;
        }
        for (FileStatus status : fs.listStatus(dir)) {
            String name = status.getPath().getName();
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
                paths.add(status.getPath());
            }
        }
        paths.sort(Comparator.comparing((Path p) -> p.getName()).reversed());
        return paths;
    }

    private void prune(FileSystem fs, Path dir) throws IOException {
        List<Path> all = checkpoints(fs, dir);
        for (Path old : all.subList(Math.min(keep, all.size()), all.size())) {
            fs.delete(old, false);
        }
    }

    /**
     * The newest intact checkpoint, or null when there is none.
     *
     * @param networkJson the fit's network; a checkpoint of another network is refused
     */
    public Checkpoint latest(String networkJson) {
        try {
            FileSystem fs = fs();
            for (Path path : checkpoints(fs, new Path(directory))) {
                Checkpoint checkpoint;
                try {
                    checkpoint = Checkpoint.decode(read(fs, path), path.toString());
                } catch (IllegalArgumentException e) {
                    LOG.warn("skipping a damaged checkpoint: {}", e.getMessage());
                    continue;
                }
                if (!checkpoint.networkJson().equals(networkJson)) {
                    throw new IllegalArgumentException("checkpointDir " + directory + " holds checkpoints of a "
                            + "different network; use an empty directory for this fit");
                }
                return checkpoint;
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoints in " + directory + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(FileSystem fs, Path path) throws IOException {
        try (InputStream in = fs.open(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
