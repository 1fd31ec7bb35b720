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
 * indices become one-hot targets here.
 */
public final class ArrowWorkerData implements WorkerData {
    private final PartitionData data;
    private final RowGather gather;
    private final int numClasses;

    /**
     * Takes ownership of {@code data}: {@link #close()} closes it, removing its spill file.
     *
     * @param numClasses the classes to one-hot encode labels into, or 0 to use labels as targets
     * @param maxBatchRows the most rows one step asks for
     */
    public ArrowWorkerData(PartitionData data, int numClasses, int maxBatchRows) {
        this.data = data;
        this.numClasses = numClasses;
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
        return numClasses > 0 ? numClasses : 1;
    }

    @Override
    public MiniBatch batch(int[] rows) {
        MiniBatch gathered = gather.gather(rows, rows.length);
        if (numClasses == 0) {
            return gathered;
        }
        INDArray oneHot = Nd4j.zeros(DataType.FLOAT, rows.length, numClasses);
        INDArray classes = gathered.labels();
        for (int i = 0; i < rows.length; i++) {
            oneHot.putScalar(i, (long) classes.getFloat(i, 0), 1f);
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
