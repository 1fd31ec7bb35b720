package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * A sequence column, {@code array<array<float>>} or {@code array<array<double>>} (time steps of
 * {@code F} features, any number of steps up to {@code maxSteps}), flattened so that it still
 * travels as one fixed-width row: the {@code maxSteps x F} step values row-major, zero past the
 * sequence's end, then a {@code maxSteps} mask (1 for a real step, 0 for padding). The width is
 * {@code maxSteps * (F + 1)}; {@link #encodedWidth} and {@link #stepWidth} convert.
 */
final class SequenceWriter implements FeatureWriter {
    private final int maxSteps;
    /** Features per step when known up front, else 0: the first row tells. */
    private final int knownStepWidth;
    private final boolean doubles;
    private final boolean containsNull;

    SequenceWriter(int maxSteps, int width, boolean doubles, boolean containsNull) {
        if (maxSteps <= 0) {
            throw new IllegalArgumentException("a sequence column needs a positive maximum length: " + maxSteps);
        }
        this.maxSteps = maxSteps;
        this.knownStepWidth = width > 0 ? stepWidth(maxSteps, width) : 0;
        this.doubles = doubles;
        this.containsNull = containsNull;
    }

    /** The row width of sequences of up to {@code maxSteps} steps of {@code stepWidth} features. */
    static int encodedWidth(int maxSteps, int stepWidth) {
        return Math.multiplyExact(maxSteps, stepWidth + 1);
    }

    /** The features per step of rows {@code width} wide. */
    static int stepWidth(int maxSteps, int width) {
        return width / maxSteps - 1;
    }

    private int steps(int steps) {
        return checkedSteps(steps, maxSteps);
    }

    /** {@code steps}, checked to be a sequence of 1 to {@code maxSteps} steps (features or per-step labels). */
    static int checkedSteps(int steps, int maxSteps) {
        if (steps == 0) {
            throw new BadValue("empty sequence");
        }
        if (steps > maxSteps) {
            throw new BadValue(steps + " steps, longer than the maximum sequence length " + maxSteps);
        }
        return steps;
    }

    /** The time steps of an external value (checked as {@link #width(Object)} checks them). */
    int steps(Object value) {
        return steps(ExternalArrays.length(value));
    }

    /** The time steps of an internal value. */
    int steps(InternalRow row, int ordinal) {
        return steps(row.getArray(ordinal).numElements());
    }

    /** The width of a sequence whose first step holds {@code firstStepWidth} features. */
    private int width(int firstStepWidth) {
        if (knownStepWidth > 0 && firstStepWidth != knownStepWidth) {
            throw new BadValue("step 0: " + firstStepWidth + " features, expected " + knownStepWidth);
        }
        return encodedWidth(maxSteps, firstStepWidth);
    }

    @Override
    public int width(Object value) {
        steps(ExternalArrays.length(value));
        Object first = ExternalArrays.element(value, 0);
        if (first == null) {
            throw new BadValue("step 0: null");
        }
        return width(ExternalArrays.length(first));
    }

    @Override
    public void write(Object value, ArrowBuf dst, long offset, int width) {
        int stepWidth = stepWidth(maxSteps, width);
        int steps = steps(ExternalArrays.length(value));
        for (int s = 0; s < steps; s++) {
            Object step = ExternalArrays.element(value, s);
            try {
                if (step == null) {
                    throw new BadValue("null");
                }
                checkStepWidth(ExternalArrays.length(step), stepWidth);
                ExternalArrays.write(step, dst, offset + (long) s * stepWidth * Float.BYTES, stepWidth);
            } catch (BadValue e) {
                throw new BadValue("step " + s + ": " + e.getMessage());
            }
        }
        pad(dst, offset, steps, stepWidth);
    }

    @Override
    public int width(InternalRow row, int ordinal) {
        ArrayData sequence = row.getArray(ordinal);
        steps(sequence.numElements());
        if (sequence.isNullAt(0)) {
            throw new BadValue("step 0: null");
        }
        return width(sequence.getArray(0).numElements());
    }

    @Override
    public void write(InternalRow row, int ordinal, ArrowBuf dst, long offset, int width) {
        int stepWidth = stepWidth(maxSteps, width);
        ArrayData sequence = row.getArray(ordinal);
        int steps = steps(sequence.numElements());
        for (int s = 0; s < steps; s++) {
            try {
                if (sequence.isNullAt(s)) {
                    throw new BadValue("null");
                }
                ArrayData step = sequence.getArray(s);
                checkStepWidth(step.numElements(), stepWidth);
                long at = offset + (long) s * stepWidth * Float.BYTES;
                if (doubles) {
                    DoubleArrayWriter.writeDoubles(step, containsNull, dst, at, stepWidth);
                } else {
                    FloatArrayWriter.writeFloats(step, containsNull, dst, at, stepWidth);
                }
            } catch (BadValue e) {
                throw new BadValue("step " + s + ": " + e.getMessage());
            }
        }
        pad(dst, offset, steps, stepWidth);
    }

    private static void checkStepWidth(int found, int expected) {
        if (found != expected) {
            throw new BadValue(found + " features, expected " + expected);
        }
    }

    /** Zeroes the steps past the end and writes the mask. */
    private void pad(ArrowBuf dst, long offset, int steps, int stepWidth) {
        long valuesEnd = offset + (long) maxSteps * stepWidth * Float.BYTES;
        long stepBytes = (long) stepWidth * Float.BYTES;
        dst.setZero(offset + steps * stepBytes, (maxSteps - steps) * stepBytes);
        for (int s = 0; s < maxSteps; s++) {
            dst.setFloat(valuesEnd + (long) s * Float.BYTES, s < steps ? 1f : 0f);
        }
    }
}
