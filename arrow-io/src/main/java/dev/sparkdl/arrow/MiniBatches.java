package dev.sparkdl.arrow;

import java.util.Iterator;
import java.util.NoSuchElementException;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The minibatches of one epoch of a {@link PartitionData}. Gathered minibatches live in two
 * buffers this iterator owns and reuses, so a minibatch is valid until the next {@link #next()}
 * or {@link #close()}.
 */
public final class MiniBatches implements Iterator<MiniBatch>, AutoCloseable {
    private final PartitionData data;
    private final int[] order;
    private final int batchRows;
    private final long rowBytes;
    private ArrowBuf gatherFeatures;
    private ArrowBuf gatherLabels;
    private long position;
    private boolean closed;

    MiniBatches(PartitionData data, int[] order, int batchRows) {
        this.data = data;
        this.order = order;
        this.batchRows = batchRows;
        this.rowBytes = (long) data.numFeatures() * Float.BYTES;
    }

    @Override
    public boolean hasNext() {
        return !closed && position < data.numRows();
    }

    @Override
    public MiniBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        long from = position;
        int rows = (int) Math.min(batchRows, data.numRows() - from);
        position += rows;
        if (order == null) {
            int batch = data.batchOf(from);
            long local = from - data.batchStart(batch);
            if (local + rows <= data.batchStart(batch + 1) - data.batchStart(batch)) {
                var root = data.batches().get(batch);
                return new MiniBatch(Nd4jViews.features(root, (int) local, rows),
                    data.hasLabels() ? Nd4jViews.labels(root, (int) local, rows) : null);
            }
        }
        return gather(from, rows);
    }

    /** Copies rows {@code order[from..from+rows)} (or the rows themselves, in order) into the gather buffers. */
    private MiniBatch gather(long from, int rows) {
        if (gatherFeatures == null) {
            gatherFeatures = data.allocator().buffer(batchRows * rowBytes);
            gatherLabels = data.allocator().buffer((long) batchRows * Float.BYTES);
        }
        long featureDst = gatherFeatures.memoryAddress();
        long labelDst = gatherLabels.memoryAddress();
        for (int i = 0; i < rows; i++) {
            long row = order == null ? from + i : order[(int) (from + i)];
            int batch = data.batchOf(row);
            long local = row - data.batchStart(batch);
            // Raw copies: both ends were bounds-checked when the batches and buffers were sized.
            MemoryUtil.UNSAFE.copyMemory(data.featureAddress(batch) + local * rowBytes,
                featureDst + i * rowBytes, rowBytes);
            if (data.hasLabels()) {
                MemoryUtil.UNSAFE.putFloat(labelDst + (long) i * Float.BYTES,
                    MemoryUtil.UNSAFE.getFloat(data.labelAddress(batch) + local * Float.BYTES));
            }
        }
        INDArray features = Nd4jViews.floatMatrix(gatherFeatures, 0, rows, data.numFeatures());
        INDArray labels = data.hasLabels() ? Nd4jViews.floatMatrix(gatherLabels, 0, rows, 1) : null;
        return new MiniBatch(features, labels);
    }

    @Override
    public void close() {
        closed = true;
        if (gatherFeatures != null) {
            gatherFeatures.close();
            gatherLabels.close();
            gatherFeatures = null;
            gatherLabels = null;
        }
    }
}
