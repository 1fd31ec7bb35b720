package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Writes one row's features as {@code width} floats into an Arrow buffer. One implementation
 * per Spark column type, chosen once per column by {@link FeatureWriters#forType}. Callers have
 * checked for null and sized {@code dst}; implementations check length and finiteness and throw
 * {@link BadValue}.
 */
interface FeatureWriter {
    /** The number of features in an external value ({@code Row.get}). */
    int width(Object value);

    /** Writes an external value; its width was checked to be {@code width}. */
    void write(Object value, ArrowBuf dst, long offset, int width);

    /** The number of features in an internal value at {@code ordinal}. */
    int width(InternalRow row, int ordinal);

    /** Writes an internal value; its width was checked to be {@code width}. */
    void write(InternalRow row, int ordinal, ArrowBuf dst, long offset, int width);

    /** Converts and checks one double: finite, and finite once narrowed to float. */
    static float toFloat(double value, int index) {
        if (!Double.isFinite(value)) {
            throw BadValue.nonFinite(value, index);
        }
        float f = (float) value;
        if (Float.isInfinite(f)) {
            throw BadValue.notFloat(value, index);
        }
        return f;
    }

    static float checkFloat(float value, int index) {
        if (!Float.isFinite(value)) {
            throw BadValue.nonFinite(value, index);
        }
        return value;
    }
}
