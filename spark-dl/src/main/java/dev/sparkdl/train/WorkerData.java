package dev.sparkdl.train;

import dev.sparkdl.arrow.MiniBatch;

/** One rank's share of the training rows, as the worker loop reads them. */
public interface WorkerData extends AutoCloseable {

    int numRows();

    int featureWidth();

    /**
     * Width of the network's target rows: the number of classes, or 1 for a regressor; times the
     * padded steps for per-time-step labels.
     */
    int labelWidth();

    /**
     * Features {@code [rows.length x featureWidth]} and targets {@code [rows.length x labelWidth]}
     * of the given rows, in that order; valid until the next call.
     */
    MiniBatch batch(int[] rows);

    @Override
    void close();
}
