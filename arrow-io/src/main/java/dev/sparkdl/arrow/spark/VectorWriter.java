package dev.sparkdl.arrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * Spark ML {@code VectorUDT}, dense or sparse. A sparse vector is scattered into a zeroed row.
 * Internally the UDT is a struct {@code (type: tinyint, size: int, indices: array<int>,
 * values: array<double>)} with type 0 sparse and 1 dense, read in place.
 */
final class VectorWriter implements FeatureWriter {
    private static final byte SPARSE = 0;
    private static final byte DENSE = 1;
    private static final int STRUCT_FIELDS = 4;

    private final LinalgVectors vectors;

    VectorWriter(UserDefinedType<?> udt) {
        this.vectors = LinalgVectors.forUdt(udt);
    }

    @Override
    public int width(Object value) {
        if (vectors.isDense(value)) {
            return vectors.denseValues(value).length;
        } else if (vectors.isSparse(value)) {
            return vectors.sparseSize(value);
        }
        throw new BadValue("expected a Spark ML vector, found " + value.getClass().getName());
    }

    @Override
    public void write(Object value, ArrowBuf dst, long offset, int width) {
        if (vectors.isDense(value)) {
            double[] values = vectors.denseValues(value);
            for (int i = 0; i < width; i++) {
                dst.setFloat(offset + (long) i * Float.BYTES, FeatureWriter.toFloat(values[i], i));
            }
        } else {
            int[] indices = vectors.sparseIndices(value);
            double[] values = vectors.sparseValues(value);
            dst.setZero(offset, (long) width * Float.BYTES);
            for (int k = 0; k < indices.length; k++) {
                scatter(dst, offset, width, indices[k], values[k]);
            }
        }
    }

    @Override
    public int width(InternalRow row, int ordinal) {
        InternalRow vector = row.getStruct(ordinal, STRUCT_FIELDS);
        return vector.getByte(0) == DENSE ? vector.getArray(3).numElements() : vector.getInt(1);
    }

    @Override
    public void write(InternalRow row, int ordinal, ArrowBuf dst, long offset, int width) {
        InternalRow vector = row.getStruct(ordinal, STRUCT_FIELDS);
        ArrayData values = vector.getArray(3);
        if (vector.getByte(0) == DENSE) {
            DoubleArrayWriter.writeDoubles(values, false, dst, offset, width);
        } else if (vector.getByte(0) == SPARSE) {
            ArrayData indices = vector.getArray(2);
            dst.setZero(offset, (long) width * Float.BYTES);
            for (int k = 0; k < indices.numElements(); k++) {
                scatter(dst, offset, width, indices.getInt(k), values.getDouble(k));
            }
        } else {
            throw new BadValue("unknown vector type " + vector.getByte(0));
        }
    }

    private static void scatter(ArrowBuf dst, long offset, int width, int index, double value) {
        if (index < 0 || index >= width) {
            throw new BadValue("sparse index " + index + " outside [0, " + width + ")");
        }
        dst.setFloat(offset + (long) index * Float.BYTES, FeatureWriter.toFloat(value, index));
    }
}
