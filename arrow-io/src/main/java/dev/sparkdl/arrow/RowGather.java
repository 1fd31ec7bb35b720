package dev.sparkdl.arrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies any rows of a {@link PartitionData}, in any order, into two buffers it owns and reuses:
 * one gather per minibatch, the only copy on the way from the mapped file to the network. A result
 * is valid until the next {@link #gather} or {@link #close()}.
 */
public final class RowGather implements AutoCloseable {
    private final PartitionData data;
    private final int maxRows;
    private final long rowBytes;
    private final long labelBytes;
    private ArrowBuf features;
    private ArrowBuf labels;

    public RowGather(PartitionData data, int maxRows) {
        this.data = data;
        this.maxRows = maxRows;
        this.rowBytes = (long) data.numFeatures() * Float.BYTES;
        this.labelBytes = (long) data.labelWidth() * Float.BYTES;
    }

    /** Rows {@code rows[0..count)}, in that order. */
    public MiniBatch gather(int[] rows, int count) {
        return gather(i -> rows[i], count);
    }

    /** Rows {@code first .. first + count - 1}. */
    MiniBatch gatherRange(long first, int count) {
        return gather(i -> first + i, count);
    }

    /** Rows {@code order[from .. from + count)}. */
    MiniBatch gather(int[] order, long from, int count) {
        return gather(i -> order[(int) (from + i)], count);
    }

    private MiniBatch gather(java.util.function.IntToLongFunction rowAt, int count) {
        if (count > maxRows) {
            throw new IllegalArgumentException("gather of " + count + " rows exceeds the buffer of " + maxRows);
        }
        if (features == null) {
            features = data.allocator().buffer(Math.max(1, maxRows * rowBytes));
            labels = data.allocator().buffer(Math.max(1, maxRows * labelBytes));
        }
        long featureDst = features.memoryAddress();
        long labelDst = labels.memoryAddress();
        for (int i = 0; i < count; i++) {
            long row = rowAt.applyAsLong(i);
            if (row < 0 || row >= data.numRows()) {
                throw new IndexOutOfBoundsException("row " + row + " of " + data.numRows());
            }
            int batch = data.batchOf(row);
            long local = row - data.batchStart(batch);
            // Raw copies: the row was checked above and both ends were sized when allocated.
            MemoryUtil.UNSAFE.copyMemory(data.featureAddress(batch) + local * rowBytes,
                featureDst + i * rowBytes, rowBytes);
            if (data.hasLabels()) {
                MemoryUtil.UNSAFE.copyMemory(data.labelAddress(batch) + local * labelBytes, labelDst + i * labelBytes,
                    labelBytes);
            }
        }
        INDArray x = Nd4jViews.floatMatrix(features, 0, count, data.numFeatures());
        INDArray y = data.hasLabels() ? Nd4jViews.floatMatrix(labels, 0, count, data.labelWidth()) : null;
        return new MiniBatch(x, y);
    }

    @Override
    public void close() {
        if (features != null) {
            features.close();
            labels.close();
            features = null;
            labels = null;
        }
    }
}
