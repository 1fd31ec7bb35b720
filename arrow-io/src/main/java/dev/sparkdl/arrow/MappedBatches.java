package dev.sparkdl.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The record batches of an Arrow IPC file, read in place from a memory mapping.
 *
 * <p>{@link ArrowFileReader} would copy every body into freshly allocated buffers. Instead
 * each record batch's region of the file is mapped, wrapped as one Arrow buffer (a foreign
 * allocation, so the allocator still accounts for it), and the vectors are loaded with slices
 * of it: the bytes are those of the page cache, nothing is copied to the heap or off-heap.
 * The mapping is private (copy-on-write): writes through a view never reach the file.
 * A region is unmapped when the last vector over it is closed.
 */
public final class MappedBatches implements AutoCloseable {
    private final Path file;
    private final BufferAllocator allocator;
    private final Schema schema;
    private final List<VectorSchemaRoot> batches;
    private final List<long[]> regions;

    private MappedBatches(Path file, BufferAllocator allocator, Schema schema, List<VectorSchemaRoot> batches,
                          List<long[]> regions) {
        this.file = file;
        this.allocator = allocator;
        this.schema = schema;
        this.batches = Collections.unmodifiableList(batches);
        this.regions = regions;
    }

    /** Maps every record batch of {@code file}; close the result to unmap. */
    public static MappedBatches map(Path file, BufferAllocator parent) {
        BufferAllocator allocator = Allocators.child(parent, "mapped:" + file.getFileName());
        List<VectorSchemaRoot> batches = new ArrayList<>();
        List<long[]> regions = new ArrayList<>();
        try {
            Schema schema;
            List<ArrowBlock> blocks;
            // The reader only reads the footer here (schema and block index), a few hundred bytes.
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                 ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
                schema = reader.getVectorSchemaRoot().getSchema();
                blocks = new ArrayList<>(reader.getRecordBlocks());
            }
            // PRIVATE needs a channel open for writing; the file itself is never written.
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                for (ArrowBlock block : blocks) {
                    long length = block.getMetadataLength() + block.getBodyLength();
                    MappedByteBuffer region = channel.map(FileChannel.MapMode.PRIVATE, block.getOffset(), length);
                    long address = MemoryUtil.getByteBufferAddress(region);
                    regions.add(new long[] {address, address + length});
                    batches.add(load(region, block, schema, allocator));
                }
            }
            return new MappedBatches(file, allocator, schema, batches, regions);
        } catch (IOException | RuntimeException e) {
            SpillFile.closeQuietly(e, batches.toArray(new AutoCloseable[0]));
            SpillFile.closeQuietly(e, allocator);
            throw e instanceof IOException io ? new UncheckedIOException("cannot map Arrow file " + file, io)
                : (RuntimeException) e;
        }
    }

    private static VectorSchemaRoot load(MappedByteBuffer region, ArrowBlock block, Schema schema,
                                         BufferAllocator allocator) throws IOException {
        ArrowBuf whole = allocator.wrapForeignAllocation(new MappedRegion(region));
        ArrowRecordBatch record;
        try {
            Message message = readMessage(region, block);
            if (message.headerType() != MessageHeader.RecordBatch) {
                throw new IOException("expected a record batch at offset " + block.getOffset()
                    + ", found message type " + message.headerType());
            }
            // On success this takes over our reference to the region: the batch's slices keep it alive.
            record = MessageSerializer.deserializeRecordBatch(message,
                whole.slice(block.getMetadataLength(), block.getBodyLength()));
        } catch (IOException | RuntimeException e) {
            whole.close();
            throw e;
        }
        try (record) {
            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
            try {
                new VectorLoader(root).load(record);
                return root;
            } catch (RuntimeException e) {
                root.close();
                throw e;
            }
        }
    }

    /** Block layout: [0xFFFFFFFF] int32 length, flatbuffer Message, padding, then the body. */
    private static Message readMessage(MappedByteBuffer region, ArrowBlock block) throws IOException {
        ByteBuffer meta = region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int prefix = meta.getInt(0) == MessageSerializer.IPC_CONTINUATION_TOKEN ? 8 : 4;
        int length = meta.getInt(prefix - 4);
        if (length <= 0 || prefix + length > block.getMetadataLength()) {
            throw new IOException("corrupt message header at offset " + block.getOffset() + ": length " + length);
        }
        ByteBuffer flatbuffer = meta.position(prefix).limit(prefix + length).slice().order(ByteOrder.LITTLE_ENDIAN);
        return Message.getRootAsMessage(flatbuffer);
    }

    public Path file() {
        return file;
    }

    public Schema schema() {
        return schema;
    }

    /** The batches in file order; owned by this object, valid until {@link #close()}. */
    public List<VectorSchemaRoot> batches() {
        return batches;
    }

    /** Whether {@code address} lies inside one of the mapped regions (for tests and assertions). */
    public boolean isMapped(long address) {
        for (long[] r : regions) {
            if (address >= r[0] && address < r[1]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            AutoCloseables.close(batches);
            allocator.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot close mapped batches of " + file, e);
        }
    }

    /** One mapped region seen as Arrow memory; released by unmapping it at once rather than at GC. */
    private static final class MappedRegion extends ForeignAllocation {
        private MappedByteBuffer region;

        MappedRegion(MappedByteBuffer region) {
            super(region.capacity(), MemoryUtil.getByteBufferAddress(region));
            this.region = region;
        }

        @Override
        protected void release0() {
            MemoryUtil.UNSAFE.invokeCleaner(region);
            region = null;
        }
    }
}
