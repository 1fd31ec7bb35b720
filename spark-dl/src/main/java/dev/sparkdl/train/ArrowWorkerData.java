package dev.sparkdl.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.arrow.MiniBatch;
import dev.sparkdl.arrow.PartitionData;
import dev.sparkdl.arrow.RowGather;

/**
 * A rank's rows in a memory-mapped Arrow spill file. Each step gathers its rows straight from the
 * mapping into one reused off-heap buffer that the network reads in place; a classifier's class
 * indices (one per row, or one per time step) become one-hot targets here.
 */
public final class ArrowWorkerData implements WorkerData {
    private final PartitionData data;
    private final RowGather gather;
    private final int numClasses;
    /** Label values per row: 1, or the padded steps times the targets per step. */
    private final int labelValues;

    /**
     * Takes ownership of {@code data}: {@link #close()} closes it, removing its spill file.
     *
     * @param numClasses the classes to one-hot encode labels into, or 0 to use labels as targets
     * @param labelValues label values per row (known even when this rank has no rows)
     * @param maxBatchRows the most rows one step asks for
     */
    public ArrowWorkerData(PartitionData data, int numClasses, int labelValues, int maxBatchRows) {
        if (data.hasLabels() && data.labelWidth() != labelValues) {
            throw new IllegalArgumentException("the data has " + data.labelWidth() + " label values per row, not "
                    + labelValues);
        }
        this.data = data;
        this.numClasses = numClasses;
        this.labelValues = labelValues;
        this.gather = new RowGather(data, Math.max(1, maxBatchRows));
    }

    @Override
    public int numRows() {
        return Math.toIntExact(data.numRows());
    }

    @Override
    public int featureWidth() {
        return data.numFeatures();
    }

    @Override
    public int labelWidth() {
        return numClasses > 0 ? labelValues * numClasses : labelValues;
    }

    @Override
    public MiniBatch batch(int[] rows) {
        MiniBatch gathered = gather.gather(rows, rows.length);
        if (numClasses == 0) {
            return gathered;
        }
        INDArray classes = gathered.labels();
        INDArray oneHot = Nd4j.zeros(DataType.FLOAT, rows.length, (long) labelValues * numClasses);
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < labelValues; j++) {
                oneHot.putScalar(i, (long) j * numClasses + (long) classes.getFloat(i, j), 1f);
            }
        }
        return new MiniBatch(gathered.features(), oneHot);
    }

    @Override
    public void close() {
        try {
            gather.close();
        } finally {
            data.close();
        }
    }
}
