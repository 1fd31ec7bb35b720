package dev.sparkdl.arrow.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;

/**
 * Reads a numeric label as a double; one per column type, picked by {@link #forType}. Nulls are
 * checked by the caller. Internal values are read from an {@code InternalRow} or, for the
 * elements of a per-step label array, from its {@code ArrayData}.
 */
interface LabelReader {
    double read(Row row, int ordinal);

    double read(SpecializedGetters row, int ordinal);

    static LabelReader forType(String column, DataType type) {
        if (type.equals(DataTypes.DoubleType)) {
            return of(Row::getDouble, SpecializedGetters::getDouble);
        } else if (type.equals(DataTypes.FloatType)) {
            return of(Row::getFloat, SpecializedGetters::getFloat);
        } else if (type.equals(DataTypes.IntegerType)) {
            return of(Row::getInt, SpecializedGetters::getInt);
        } else if (type.equals(DataTypes.LongType)) {
            return of(Row::getLong, SpecializedGetters::getLong);
        } else if (type.equals(DataTypes.ShortType)) {
            return of(Row::getShort, SpecializedGetters::getShort);
        } else if (type.equals(DataTypes.ByteType)) {
            return of(Row::getByte, SpecializedGetters::getByte);
        } else if (type instanceof DecimalType decimal) {
            return of((r, i) -> r.getDecimal(i).doubleValue(),
                (r, i) -> r.getDecimal(i, decimal.precision(), decimal.scale()).toDouble());
        }
        throw new IllegalArgumentException("label column '" + column + "' has type " + type.simpleString()
            + "; expected a numeric type");
    }

    interface RowGetter {
        double get(Row row, int ordinal);
    }

    interface InternalGetter {
        double get(SpecializedGetters row, int ordinal);
    }

    private static LabelReader of(RowGetter external, InternalGetter internal) {
        return new LabelReader() {
            @Override
            public double read(Row row, int ordinal) {
                return external.get(row, ordinal);
            }

            @Override
            public double read(SpecializedGetters row, int ordinal) {
                return internal.get(row, ordinal);
            }
        };
    }
}
