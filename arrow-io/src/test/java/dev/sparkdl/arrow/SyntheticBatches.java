package dev.sparkdl.arrow;

import java.util.Iterator;
import java.util.NoSuchElementException;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Training batches in one reused root, as a converter produces them: row r has features r*1000+c and label r. */
final class SyntheticBatches implements Iterator<VectorSchemaRoot>, AutoCloseable {
    private final VectorSchemaRoot root;
    private final int rows;
    private final int width;
    private final int batchRows;
    private final int failAtRow;
    private int next;

    SyntheticBatches(BufferAllocator allocator, int rows, int width, int batchRows, int failAtRow) {
        this.root = TrainingSchema.allocate(allocator, width, true, batchRows);
        this.rows = rows;
        this.width = width;
        this.batchRows = batchRows;
        this.failAtRow = failAtRow;
    }

    SyntheticBatches(BufferAllocator allocator, int rows, int width, int batchRows) {
        this(allocator, rows, width, batchRows, -1);
    }

    static float feature(long row, int column) {
        return row * 1000f + column;
    }

    @Override
    public boolean hasNext() {
        return next < rows;
    }

    @Override
    public VectorSchemaRoot next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int n = Math.min(batchRows, rows - next);
        ArrowBuf features = TrainingSchema.featureValues(root).getDataBuffer();
        ArrowBuf labels = TrainingSchema.labelsOrNull(root).getDataBuffer();
        for (int r = 0; r < n; r++) {
            if (next + r == failAtRow) {
                throw new IllegalStateException("synthetic failure at row " + failAtRow);
            }
            for (int c = 0; c < width; c++) {
                features.setFloat(((long) r * width + c) * Float.BYTES, feature(next + r, c));
            }
            labels.setFloat((long) r * Float.BYTES, next + r);
        }
        next += n;
        root.setRowCount(n);
        return root;
    }

    @Override
    public void close() {
        root.close();
    }
}
