package dev.sparkdl.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The exchange of a fit with one worker: the local gradient already is the sum. */
public final class LocalExchange implements GradientExchange {

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int workers() {
        return 1;
    }

    @Override
    public void sum(INDArray flatGradient, double[] stepStats) {
        // Nothing to combine.
    }

    @Override
    public void close() {
    }
}
