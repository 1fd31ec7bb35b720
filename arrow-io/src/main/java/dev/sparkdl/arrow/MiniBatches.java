package dev.sparkdl.arrow;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The minibatches of one epoch of a {@link PartitionData}. Gathered minibatches live in two
 * buffers this iterator owns and reuses, so a minibatch is valid until the next {@link #next()}
 * or {@link #close()}.
 */
public final class MiniBatches implements Iterator<MiniBatch>, AutoCloseable {
    private final PartitionData data;
    private final int[] order;
    private final int batchRows;
    private final RowGather gather;
    private long position;
    private boolean closed;

    MiniBatches(PartitionData data, int[] order, int batchRows) {
        this.data = data;
        this.order = order;
        this.batchRows = batchRows;
        this.gather = new RowGather(data, batchRows);
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

    private MiniBatch gather(long from, int rows) {
        return order == null ? gather.gatherRange(from, rows) : gather.gather(order, from, rows);
    }

    @Override
    public void close() {
        closed = true;
        gather.close();
    }
}
