package dev.sparkdl.arrow;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One partition's training data for every epoch of a fit.
 *
 * <p>{@link #spill} is the first pass: it drains the partition's batches into a local Arrow IPC
 * file and maps it; every epoch then reads the mapping ({@link #epoch}), so rows are converted
 * from Spark once per fit. {@link #close()} unmaps and deletes the file; a failure inside
 * {@code spill} does the same before it throws. The row count is known before the first step,
 * which synchronous training needs to agree on a step count across ranks.
 *
 * <p>After {@code spill} the data is read-only and the allocator is thread-safe, so several
 * epoch iterators may be open at once (e.g. prefetching the next epoch); each iterator is for
 * one thread.
 */
public final class PartitionData implements AutoCloseable {
    private final BufferAllocator allocator;
    private final SpillFile spill;
    private final MappedBatches mapped;
    private final int width;
    /** Label values per row: 1, or one per time step of a sequence; 0 without labels. */
    private final int labelWidth;
    /** Row index of the first row of each batch, plus the total at the end. */
    private final long[] batchStarts;
    /** Data addresses per batch, resolved once so gathers do no lookups per row. */
    private final long[] featureAddresses;
    private final long[] labelAddresses;

    private PartitionData(BufferAllocator allocator, SpillFile spill, MappedBatches mapped, int width) {
        this.allocator = allocator;
        this.spill = spill;
        this.mapped = mapped;
        List<VectorSchemaRoot> batches = batches();
        this.width = batches.isEmpty() ? width : TrainingSchema.width(batches.get(0));
        this.labelWidth = batches.isEmpty() ? 0 : TrainingSchema.labelWidth(batches.get(0));
        this.batchStarts = new long[batches.size() + 1];
        this.featureAddresses = new long[batches.size()];
        this.labelAddresses = new long[batches.size()];
        for (int b = 0; b < batches.size(); b++) {
            VectorSchemaRoot batch = batches.get(b);
            if (TrainingSchema.width(batch) != this.width) {
                throw new IllegalArgumentException("batch " + b + " has width " + TrainingSchema.width(batch)
                    + ", batch 0 has " + this.width);
            }
            batchStarts[b + 1] = batchStarts[b] + batch.getRowCount();
            featureAddresses[b] = TrainingSchema.featureValues(batch).getDataBuffer().memoryAddress();
            Float4Vector labels = TrainingSchema.labelsOrNull(batch);
            labelAddresses[b] = labels == null ? 0 : labels.getDataBuffer().memoryAddress();
        }
    }

    /**
     * Drains {@code batches} (roots in the {@link TrainingSchema} layout; the iterator may reuse
     * one root) into a spill file in {@code localDir} and maps it. The batches stay the caller's.
     *
     * @param emptyWidth the feature width to report when there are no batches at all
     */
    public static PartitionData spill(Iterator<VectorSchemaRoot> batches, Path localDir, BufferAllocator parent,
                                      int emptyWidth) {
        BufferAllocator allocator = Allocators.child(parent, "partition-data");
        SpillFile spill = null;
        MappedBatches mapped = null;
        try {
            while (batches.hasNext()) {
                VectorSchemaRoot batch = batches.next();
                if (spill == null) {
                    TrainingSchema.width(batch);
                    spill = SpillFile.create(localDir, batch.getSchema(), allocator);
                }
                spill.append(batch);
            }
            if (spill != null) {
                mapped = MappedBatches.map(spill.finish(), allocator);
            }
            return new PartitionData(allocator, spill, mapped, emptyWidth);
        } catch (RuntimeException | Error e) {
            SpillFile.closeQuietly(e instanceof Exception ex ? ex : new RuntimeException(e), mapped, spill, allocator);
            throw e;
        }
    }

    public long numRows() {
        return batchStarts[batchStarts.length - 1];
    }

    public int numFeatures() {
        return width;
    }

    public boolean hasLabels() {
        return labelWidth > 0;
    }

    /** Label values per row (one per time step for per-step labels), 0 without labels. */
    public int labelWidth() {
        return labelWidth;
    }

    /** The spill file, or null for an empty partition; it exists until {@link #close()}. */
    public Path spillFile() {
        return spill == null ? null : spill.path();
    }

    /** The mapped batches in file order; owned by this object. */
    public List<VectorSchemaRoot> batches() {
        return mapped == null ? List.of() : mapped.batches();
    }

    /** Whether {@code address} lies in the mapped file (tests use it to prove reads are in place). */
    public boolean isMapped(long address) {
        return mapped != null && mapped.isMapped(address);
    }

    /** Minibatches per epoch for {@code batchRows} rows each (the last may be smaller). */
    public long numBatches(int batchRows) {
        return (numRows() + batchRows - 1) / batchRows;
    }

    /**
     * The minibatches of one epoch. In order, a minibatch that lies inside one Arrow batch is a
     * view of the mapped file; one that spans two is gathered. Shuffled, rows are permuted by
     * {@code (seed, epoch)} alone, so every rank and every retry sees the same order, and each
     * minibatch is one gather into a buffer the iterator reuses. Close the iterator when done.
     */
    public MiniBatches epoch(long seed, int epoch, int batchRows, boolean shuffle) {
        if (batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + batchRows);
        }
        int[] order = shuffle ? permutation(seed, epoch) : null;
        return new MiniBatches(this, order, batchRows);
    }

    int[] permutation(long seed, int epoch) {
        if (numRows() > Integer.MAX_VALUE) {
            throw new IllegalStateException("cannot shuffle " + numRows() + " rows in one partition");
        }
        int n = (int) numRows();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // SplittableRandom mixes its seed; the golden-ratio step keeps (seed, epoch) pairs apart.
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed + 0x9E3779B97F4A7C15L * (epoch + 1L));
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The batch holding row {@code row}. */
    int batchOf(long row) {
        int i = Arrays.binarySearch(batchStarts, row);
        return i >= 0 ? skipEmpty(i) : -i - 2;
    }

    private int skipEmpty(int i) {
        while (batchStarts[i + 1] == batchStarts[i]) {
            i++;
        }
        return i;
    }

    long batchStart(int batch) {
        return batchStarts[batch];
    }

    long featureAddress(int batch) {
        return featureAddresses[batch];
    }

    long labelAddress(int batch) {
        return labelAddresses[batch];
    }

    BufferAllocator allocator() {
        return allocator;
    }

    /** Unmaps and deletes the spill file, then closes this object's allocator. */
    @Override
    public void close() {
        RuntimeException failure = new RuntimeException("closing partition data");
        SpillFile.closeQuietly(failure, mapped, spill, allocator);
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
    }
}
