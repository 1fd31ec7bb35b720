package dev.sparkdl.ml;

import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.types.DataType;

import dev.sparkdl.arrow.spark.FeatureWriters;
import dev.sparkdl.train.InputLayout;

/**
 * The params that make the features column recurrent-network input {@code [rows x features x steps]}:
 * {@code sequenceLength} for a flat array of fixed-length sequences, {@code maxSequenceLength} for a
 * sequence column {@code array<array<float>>} of any lengths, padded and masked.
 */
public interface HasSequenceParams extends Params {

    String SEQUENCE_LENGTH_DOC = "time steps in each row of a flat features column (steps x features per step, "
            + "row-major by step) for a recurrent network; 0 = not a sequence (>= 0)";
    String MAX_SEQUENCE_LENGTH_DOC = "the length every sequence of an array<array<float>> features column is padded "
            + "to (with a mask); longer ones are bad rows; 0 = the longest in the training data (>= 0)";

    IntParam sequenceLength();

    IntParam maxSequenceLength();

    default int getSequenceLength() {
        return (Integer) getOrDefault(sequenceLength());
    }

    default int getMaxSequenceLength() {
        return (Integer) getOrDefault(maxSequenceLength());
    }

    /** Checks the sequence params against the features column's type. */
    default void checkSequenceParams(String column, DataType type) {
        if (getSequenceLength() > 0 && FeatureWriters.isSequence(type)) {
            throw new IllegalArgumentException("sequenceLength = " + getSequenceLength() + " is for flat feature "
                    + "columns, but column '" + column + "' is a sequence column (" + type.simpleString()
                    + ") whose lengths come from the data; set maxSequenceLength instead");
        }
    }

    /**
     * How the network reads rows {@code width} wide of a column of type {@code type}, padded to
     * {@code maxSteps} steps when it is a sequence column.
     */
    default InputLayout inputLayout(String column, DataType type, int width, int maxSteps) {
        if (FeatureWriters.isSequence(type)) {
            return InputLayout.paddedSequence(maxSteps, FeatureWriters.sequenceStepWidth(maxSteps, width));
        }
        int steps = getSequenceLength();
        if (steps == 0) {
            return InputLayout.FLAT;
        }
        if (width % steps != 0) {
            throw new IllegalArgumentException("sequenceLength = " + steps + " does not divide the " + width
                    + " values per row of column '" + column + "'");
        }
        return InputLayout.sequence(steps, width / steps);
    }
}
