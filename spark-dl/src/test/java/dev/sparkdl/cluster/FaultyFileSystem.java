package dev.sparkdl.cluster;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code faulty:}, for checkpoint directories whose writes
 * fail on cue. Shipped to the executors in the test-hooks jar and named by {@code fs.faulty.impl};
 * the cue is a file {@value #CONTROL} in the checkpoint directory holding {@code "<action> <step>"}:
 * <ul>
 *   <li>{@code stall S}: once (the file is consumed), the write of checkpoint S writes half its bytes,
 *       leaves a marker {@code stalled-<pid>} and waits (interruptibly) for up to 5 minutes;</li>
 *   <li>{@code pause S}: once, the write of checkpoint S leaves the marker and waits until a file
 *       {@value #RELEASE} appears, then completes;</li>
 *   <li>{@code throw S}: every write of checkpoint S fails with an IOException.</li>
 * </ul>
 * Every checkpoint write begun is appended to {@value #WRITES} as {@code "<pid> <step>"}.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "faulty";
    static final String CONTROL = "fault";
    static final String WRITES = "writes.log";
    static final String STALLED = "stalled-";
    static final String RELEASE = "release";
    private static final Pattern TEMP_CHECKPOINT = Pattern.compile("\\.ckpt-(\\d+)\\.sdl\\.tmp");
    private static final long STALL_MS = TimeUnit.MINUTES.toMillis(5);

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        return faulty(f, () -> super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        return faulty(f, () -> super.create(f, overwrite, bufferSize, replication, blockSize, progress));
    }

    private interface Create {
        FSDataOutputStream open() throws IOException;
    }

    private FSDataOutputStream faulty(Path f, Create create) throws IOException {
        Matcher checkpoint = TEMP_CHECKPOINT.matcher(f.getName());
        if (!checkpoint.matches()) {
            return create.open();
        }
        long step = Long.parseLong(checkpoint.group(1));
        java.nio.file.Path dir = java.nio.file.Path.of(f.getParent().toUri().getPath());
        long pid = ProcessHandle.current().pid();
        Files.writeString(dir.resolve(WRITES), pid + " " + step + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        String[] cue = readCue(dir);
        if (cue != null && Long.parseLong(cue[1]) == step && cue[0].equals("throw")) {
            throw new IOException("injected: no space left writing checkpoint " + step);
        }
        FSDataOutputStream out = create.open();
        boolean held = cue != null && Long.parseLong(cue[1]) == step
                && (cue[0].equals("stall") || cue[0].equals("pause")) && consume(dir);
        if (held) {
            return new FSDataOutputStream(new Held(out, dir.resolve(STALLED + pid),
                    cue[0].equals("pause") ? dir.resolve(RELEASE) : null), statistics);
        }
        return out;
    }

    /** Whether a write in {@code dir} is held (stalled or paused) now or was: its marker exists. */
    static boolean held(java.nio.file.Path dir) {
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(STALLED));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String[] readCue(java.nio.file.Path dir) throws IOException {
        try {
            String[] cue = Files.readString(dir.resolve(CONTROL), StandardCharsets.UTF_8).trim().split("\\s+");
            return cue.length == 2 ? cue : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether this caller removed the cue: exactly one write stalls. */
    private static boolean consume(java.nio.file.Path dir) throws IOException {
        try {
            Files.delete(dir.resolve(CONTROL));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Stalled: writes the first half of the first write, then waits, a writer stuck mid-file. Paused:
     * waits before writing until the release file exists, then writes normally.
     */
    private static final class Held extends FilterOutputStream {
        private final java.nio.file.Path marker;
        private final java.nio.file.Path release;
        private boolean waited;

        Held(OutputStream out, java.nio.file.Path marker, java.nio.file.Path release) {
            super(out);
            this.marker = marker;
            this.release = release;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (waited) {
                out.write(b, off, len);
                return;
            }
            waited = true;
            if (release == null) {
                out.write(b, off, len / 2);
                out.flush();
            }
            Files.writeString(marker, Integer.toString(len), StandardCharsets.UTF_8);
            long deadline = System.currentTimeMillis() + STALL_MS;
            try {
                while (System.currentTimeMillis() < deadline) {
                    if (release != null && Files.exists(release)) {
                        out.write(b, off, len);
                        return;
                    }
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while held in a checkpoint write");
            }
            throw new IOException("held for " + STALL_MS + " ms: nothing ended the held write");
        }
    }
}
