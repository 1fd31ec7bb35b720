package dev.sparkdl.arrow.spark;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.UserDefinedType;

/** Picks the {@link FeatureWriter} for a feature column's type, once per column. */
final class FeatureWriters {
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
}
