package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;

/**
 * Per-time-step labels of a many-to-many recurrent network: {@code array<number>} (one class
 * index or target per step) or {@code array<array<float|double>>} ({@code valuesPerStep} targets
 * per step), written as {@code maxSteps x valuesPerStep} floats, row-major by step, zero past the
 * sequence's end. Unlike a sequence feature column ({@link SequenceWriter}) no mask is written:
 * the steps must be the features' steps, whose mask then masks the labels too.
 */
final class StepLabelWriter implements LabelWriter {
    private final int maxSteps;
    private final int valuesPerStep;
    /** Reads the numbers of an {@code array<number>}; null for nested arrays. */
    private final LabelReader elements;
    private final boolean nestedDoubles;
    private final boolean containsNull;

    private StepLabelWriter(int maxSteps, int valuesPerStep, LabelReader elements, boolean nestedDoubles,
                            boolean containsNull) {
        this.maxSteps = maxSteps;
        this.valuesPerStep = valuesPerStep;
        this.elements = elements;
        this.nestedDoubles = nestedDoubles;
        this.containsNull = containsNull;
    }

    static StepLabelWriter forType(String column, DataType type, int maxSteps, int valuesPerStep) {
        if (maxSteps <= 0 || valuesPerStep <= 0) {
            throw new IllegalArgumentException("per-step labels need a positive length and values per step: "
                + maxSteps + " x " + valuesPerStep);
        }
        if (type instanceof ArrayType array && array.elementType() instanceof NumericType element) {
            if (valuesPerStep != 1) {
                throw new IllegalArgumentException("label column '" + column + "' (" + type.simpleString()
                    + ") holds one number per time step, but the network predicts " + valuesPerStep
                    + " per step; use array<array<double>> labels");
            }
            return new StepLabelWriter(maxSteps, 1, LabelReader.forType(column, element), false,
                array.containsNull());
        }
        if (FeatureWriters.isSequence(type)) {
            ArrayType steps = (ArrayType) ((ArrayType) type).elementType();
            return new StepLabelWriter(maxSteps, valuesPerStep, null,
                steps.elementType().equals(DataTypes.DoubleType), steps.containsNull());
        }
        throw new IllegalArgumentException("label column '" + column + "' has type " + type.simpleString()
            + "; per-time-step labels must be array<number> (one per step) or array<array<double>>");
    }

    @Override
    public int width() {
        return Math.multiplyExact(maxSteps, valuesPerStep);
    }

    private int steps(int steps) {
        return SequenceWriter.checkedSteps(steps, maxSteps);
    }

    @Override
    public int write(Row row, int ordinal, ArrowBuf dst, long offset) {
        Object value = row.get(ordinal);
        int steps = steps(ExternalArrays.length(value));
        if (elements != null) {
            ExternalArrays.write(value, dst, offset, steps);
        } else {
            for (int s = 0; s < steps; s++) {
                Object step = ExternalArrays.element(value, s);
                try {
                    if (step == null) {
                        throw new BadValue("null");
                    }
                    checkValues(ExternalArrays.length(step));
                    ExternalArrays.write(step, dst, offset + (long) s * valuesPerStep * Float.BYTES, valuesPerStep);
                } catch (BadValue e) {
                    throw new BadValue("step " + s + ": " + e.getMessage());
                }
            }
        }
        pad(dst, offset, steps);
        return steps;
    }

    @Override
    public int write(InternalRow row, int ordinal, ArrowBuf dst, long offset) {
        ArrayData sequence = row.getArray(ordinal);
        int steps = steps(sequence.numElements());
        for (int s = 0; s < steps; s++) {
            long at = offset + (long) s * valuesPerStep * Float.BYTES;
            try {
                if (sequence.isNullAt(s)) {
                    throw new BadValue("null");
                }
                if (elements != null) {
                    dst.setFloat(at, FeatureWriter.toFloat(elements.read(sequence, s), s));
                    continue;
                }
                ArrayData step = sequence.getArray(s);
                checkValues(step.numElements());
                if (nestedDoubles) {
                    DoubleArrayWriter.writeDoubles(step, containsNull, dst, at, valuesPerStep);
                } else {
                    FloatArrayWriter.writeFloats(step, containsNull, dst, at, valuesPerStep);
                }
            } catch (BadValue e) {
                throw new BadValue("step " + s + ": " + e.getMessage());
            }
        }
        pad(dst, offset, steps);
        return steps;
    }

    private void checkValues(int found) {
        if (found != valuesPerStep) {
            throw new BadValue(found + " values, expected " + valuesPerStep);
        }
    }

    private void pad(ArrowBuf dst, long offset, int steps) {
        long stepBytes = (long) valuesPerStep * Float.BYTES;
        dst.setZero(offset + steps * stepBytes, (maxSteps - steps) * stepBytes);
    }
}
