package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;

/**
 * Writes one row's label as floats: one number ({@link #perRow}), or for a many-to-many recurrent
 * network one number or vector per time step ({@link StepLabelWriter}). Picked once per label
 * column; the caller has checked for null; bad values throw {@link BadValue}.
 */
interface LabelWriter {
    /** Floats per row. */
    int width();

    /** Writes an external row's label at {@code ordinal}; returns its time steps (1 for a one-number label). */
    int write(Row row, int ordinal, ArrowBuf dst, long offset);

    /** Writes an internal row's label at {@code ordinal}; returns its time steps (1 for a one-number label). */
    int write(InternalRow row, int ordinal, ArrowBuf dst, long offset);

    /**
     * @param maxSteps      0 for one number per row, else the padded length of per-step labels
     * @param valuesPerStep numbers per time step of per-step labels
     */
    static LabelWriter forType(String column, DataType type, int maxSteps, int valuesPerStep) {
        return maxSteps == 0 ? perRow(LabelReader.forType(column, type))
            : StepLabelWriter.forType(column, type, maxSteps, valuesPerStep);
    }

    private static LabelWriter perRow(LabelReader reader) {
        return new LabelWriter() {
            @Override
            public int width() {
                return 1;
            }

            @Override
            public int write(Row row, int ordinal, ArrowBuf dst, long offset) {
                dst.setFloat(offset, checked(reader.read(row, ordinal)));
                return 1;
            }

            @Override
            public int write(InternalRow row, int ordinal, ArrowBuf dst, long offset) {
                dst.setFloat(offset, checked(reader.read(row, ordinal)));
                return 1;
            }
        };
    }

    private static float checked(double label) {
        float f = (float) label;
        if (!Float.isFinite(f)) {
            throw new BadValue(Double.isNaN(label) ? "NaN label" : "label " + label + " is not a finite float");
        }
        return f;
    }

    /** Throws unless {@code label} is a class index of a classifier with {@code numClasses} classes. */
    static void checkClass(float label, int numClasses) {
        if (label != Math.rint(label) || label < 0 || label >= numClasses) {
            throw new BadValue("label " + label + " is not a class: a classifier with " + numClasses
                + " classes needs an integer class index in 0.." + (numClasses - 1));
        }
    }
}
