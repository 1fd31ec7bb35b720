package dev.sparkdl.arrow;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One minibatch: {@code features} is {@code [rows x width]} float, {@code labels} is
 * {@code [rows x labelWidth]} float (one value per row, or one per time step) or null when the
 * data has no label column. Both may alias Arrow
 * memory: valid until the iterator that produced them advances or closes; {@code dup()} to keep.
 */
public record MiniBatch(INDArray features, INDArray labels) {
    public long rows() {
        return features.rows();
    }
}
