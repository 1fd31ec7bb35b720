package dev.sparkdl.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A local Arrow IPC file that one partition's batches are appended to on the first pass.
 *
 * <p>The file belongs to this object: {@link #close()} deletes it, whether or not it was
 * finished, so a failed task leaves nothing in the executor's local directory. Appending
 * moves buffer references, not bytes: the caller keeps its batch and may reuse it.
 */
public final class SpillFile implements AutoCloseable {
    private final Path path;
    private final BufferAllocator allocator;
    private final FileChannel channel;
    private final VectorSchemaRoot staging;
    private final ArrowFileWriter writer;
    private long rows;
    private int batches;
    private boolean finished;

    private SpillFile(Path path, BufferAllocator allocator, FileChannel channel, VectorSchemaRoot staging,
                      ArrowFileWriter writer) {
        this.path = path;
        this.allocator = allocator;
        this.channel = channel;
        this.staging = staging;
        this.writer = writer;
    }

    /** Creates an empty spill file for batches of {@code schema} in {@code dir}. */
    public static SpillFile create(Path dir, Schema schema, BufferAllocator parent) {
        Path path = null;
        BufferAllocator allocator = null;
        FileChannel channel = null;
        VectorSchemaRoot staging = null;
        try {
            Files.createDirectories(dir);
            path = Files.createTempFile(dir, "sparkdl-spill-", ".arrow");
            allocator = Allocators.child(parent, "spill-writer:" + path.getFileName());
            channel = FileChannel.open(path, StandardOpenOption.WRITE);
            staging = VectorSchemaRoot.create(schema, allocator);
            ArrowFileWriter writer = new ArrowFileWriter(staging, null, channel);
            writer.start();
            return new SpillFile(path, allocator, channel, staging, writer);
        } catch (IOException | RuntimeException e) {
            closeQuietly(e, staging, channel, allocator);
            deleteQuietly(e, path);
            throw e instanceof IOException io ? new UncheckedIOException("cannot create a spill file in " + dir, io)
                : (RuntimeException) e;
        }
    }

    /** Appends the current contents of {@code batch}, which must have this file's schema. */
    public void append(VectorSchemaRoot batch) {
        if (finished) {
            throw new IllegalStateException("spill file already finished: " + path);
        }
        try (ArrowRecordBatch record = new VectorUnloader(batch).getRecordBatch()) {
            new VectorLoader(staging).load(record);
            writer.writeBatch();
            rows += batch.getRowCount();
            batches++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to spill file " + path, e);
        } finally {
            // Drop our references at once so the caller's next batch does not keep this one alive.
            staging.clear();
        }
    }

    /** Writes the footer; the file can then be mapped with {@link MappedBatches#map}. */
    public Path finish() {
        if (!finished) {
            try {
                // No force(): a spill file is scratch, read back through the page cache and never
                // needed after a crash; an fsync would only make the first pass wait for the disk.
                writer.end();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot finish spill file " + path, e);
            }
            finished = true;
        }
        return path;
    }

    public Path path() {
        return path;
    }

    public long rows() {
        return rows;
    }

    public int batches() {
        return batches;
    }

    /** Closes the writer and deletes the file. */
    @Override
    public void close() {
        Exception failure = null;
        try {
            AutoCloseables.close(writer, staging, channel, allocator);
        } catch (Exception e) {
            failure = e;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw new IllegalStateException("cannot close spill file " + path, failure);
        }
    }

    static void closeQuietly(Exception primary, AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r != null) {
                try {
                    r.close();
                } catch (Exception e) {
                    primary.addSuppressed(e);
                }
            }
        }
    }

    static void deleteQuietly(Exception primary, Path path) {
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }
}
