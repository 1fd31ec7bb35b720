package dev.sparkdl.arrow.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * Picks the {@link FeatureWriter} for a feature column's type, once per column. The public
 * methods let callers outside this package check a schema and learn a width through the same
 * converters that fill the batches, so every column type is read in this package alone.
 */
public final class FeatureWriters {
    private FeatureWriters() {
    }

    static FeatureWriter forType(String column, DataType type) {
        if (type instanceof UserDefinedType<?> udt && LinalgVectors.isVectorUdt(udt)) {
            return new VectorWriter(udt);
        }
        if (type instanceof ArrayType array) {
            if (array.elementType().equals(DataTypes.FloatType)) {
                return new FloatArrayWriter(array.containsNull());
            }
            if (array.elementType().equals(DataTypes.DoubleType)) {
                return new DoubleArrayWriter(array.containsNull());
            }
        }
        throw new IllegalArgumentException("feature column '" + column + "' has type " + type.simpleString()
            + "; expected vector (Spark ML VectorUDT), array<float> or array<double>");
    }

    /** Throws {@link IllegalArgumentException} naming {@code column} unless features can be read from {@code type}. */
    public static void requireSupported(String column, DataType type) {
        forType(column, type);
    }

    /**
     * The number of features in {@code row}'s value of {@code column}, read by the column's
     * converter; a null or unreadable value is a {@link BadRowException} at {@code position}.
     */
    public static int width(StructType schema, String column, Row row, long position) {
        int ordinal = schema.fieldIndex(column);
        try {
            if (row.isNullAt(ordinal)) {
                throw new BadValue("null");
            }
            return forType(column, schema.fields()[ordinal].dataType()).width(row.get(ordinal));
        } catch (BadValue e) {
            throw new BadRowException(column, position, BadRowException.UNKNOWN_PARTITION, e.getMessage());
        }
    }
}
