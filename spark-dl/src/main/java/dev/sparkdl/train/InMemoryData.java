package dev.sparkdl.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.arrow.MiniBatch;

/** Rows held as two ND4J matrices (features and targets); a minibatch is one gather of its rows. */
public final class InMemoryData implements WorkerData {
    private final INDArray features;
    private final INDArray labels;

    /** Takes ownership of both matrices, which must have the same number of rows. */
    public InMemoryData(INDArray features, INDArray labels) {
        if (features.rows() != labels.rows()) {
            throw new IllegalArgumentException("features have " + features.rows() + " rows, labels "
                    + labels.rows());
        }
        this.features = features;
        this.labels = labels;
    }

    @Override
    public int numRows() {
        return (int) features.rows();
    }

    @Override
    public int featureWidth() {
        return (int) features.columns();
    }

    @Override
    public int labelWidth() {
        return (int) labels.columns();
    }

    @Override
    public MiniBatch batch(int[] rows) {
        return new MiniBatch(Nd4j.pullRows(features, 1, rows), Nd4j.pullRows(labels, 1, rows));
    }

    @Override
    public void close() {
        features.close();
        labels.close();
    }
}
