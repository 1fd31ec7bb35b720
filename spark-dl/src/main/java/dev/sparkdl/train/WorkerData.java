package dev.sparkdl.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One rank's share of the training rows, as the worker loop reads them. */
public interface WorkerData extends AutoCloseable {

    int numRows();

    int featureWidth();

    int labelWidth();

    /** Features of the given rows, in that order: [rows.length x featureWidth]. */
    INDArray features(int[] rows);

    /** Labels of the given rows, in that order: [rows.length x labelWidth]. */
    INDArray labels(int[] rows);

    @Override
    void close();
}
