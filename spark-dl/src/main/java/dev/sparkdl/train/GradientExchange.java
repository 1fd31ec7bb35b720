package dev.sparkdl.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How the replicas of one fit combine their work each step. Every rank calls {@link #sum} once per
 * step, in the same order; implementations block until all ranks have contributed, within a
 * deadline, and throw (naming the peer) rather than wait forever.
 */
public interface GradientExchange extends AutoCloseable {

    int rank();

    int workers();

    /**
     * Sums {@code flatGradient} and {@code stepStats} over all ranks, in place. Afterwards every
     * rank holds bit-identical sums, so replicas that apply the same updater stay identical.
     */
    void sum(INDArray flatGradient, double[] stepStats) throws InterruptedException;

    @Override
    void close();
}
