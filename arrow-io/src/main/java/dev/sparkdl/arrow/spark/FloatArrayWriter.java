package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/** {@code array<float>}: internally Spark's contiguous float array, read without boxing. */
final class FloatArrayWriter implements FeatureWriter {
    private final boolean containsNull;

    FloatArrayWriter(boolean containsNull) {
        this.containsNull = containsNull;
    }

    @Override
    public int width(Object value) {
        return ExternalArrays.length(value);
    }

    @Override
    public void write(Object value, ArrowBuf dst, long offset, int width) {
        ExternalArrays.write(value, dst, offset, width);
    }

    @Override
    public int width(InternalRow row, int ordinal) {
        return row.getArray(ordinal).numElements();
    }

    @Override
    public void write(InternalRow row, int ordinal, ArrowBuf dst, long offset, int width) {
        writeFloats(row.getArray(ordinal), containsNull, dst, offset, width);
    }

    static void writeFloats(ArrayData values, boolean containsNull, ArrowBuf dst, long offset, int width) {
        for (int i = 0; i < width; i++) {
            if (containsNull && values.isNullAt(i)) {
                throw new BadValue("null element at index " + i);
            }
            dst.setFloat(offset + (long) i * Float.BYTES, FeatureWriter.checkFloat(values.getFloat(i), i));
        }
    }
}
