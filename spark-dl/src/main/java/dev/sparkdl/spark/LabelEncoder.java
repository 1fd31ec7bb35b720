package dev.sparkdl.spark;

import java.io.Serializable;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Turns the label column into the network's target row: a one-hot row of {@code numClasses} for a
 * classifier, the value itself for a regressor. Bad labels are reported with column and position.
 */
public final class LabelEncoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String column;
    private final int columnIndex;
    private final int numClasses;

    private LabelEncoder(String column, int columnIndex, int numClasses) {
        this.column = column;
        this.columnIndex = columnIndex;
        this.numClasses = numClasses;
    }

    public static LabelEncoder classification(StructType schema, String column, int numClasses) {
        return new LabelEncoder(column, numericColumn(schema, column), numClasses);
    }

    public static LabelEncoder regression(StructType schema, String column) {
        return new LabelEncoder(column, numericColumn(schema, column), 0);
    }

    static int numericColumn(StructType schema, String column) {
        int index = schema.fieldIndex(column);
        DataType type = schema.fields()[index].dataType();
        if (!(type instanceof NumericType)) {
            throw new IllegalArgumentException("Column '" + column + "' has type " + type.simpleString()
                    + "; labels must be numeric");
        }
        return index;
    }

    public String column() {
        return column;
    }

    /** The classes labels are one-hot encoded into, or 0 for a regressor. */
    public int numClasses() {
        return numClasses;
    }

    public int width() {
        return numClasses > 0 ? numClasses : 1;
    }

    public void encode(Row row, float[] dst, int offset, int partition, long position) {
        if (row.isNullAt(columnIndex)) {
            throw new BadRowException(column, partition, position, "is null");
        }
        double label = ((Number) row.get(columnIndex)).doubleValue();
        if (!Double.isFinite(label)) {
            throw new BadRowException(column, partition, position, "has a non-finite label " + label);
        }
        if (numClasses == 0) {
            dst[offset] = (float) label;
            return;
        }
        if (label != Math.rint(label) || label < 0 || label >= numClasses) {
            throw new BadRowException(column, partition, position, "has label " + label
                    + "; a classifier with " + numClasses + " classes needs an integer class index in 0.."
                    + (numClasses - 1));
        }
        java.util.Arrays.fill(dst, offset, offset + numClasses, 0f);
        dst[offset + (int) label] = 1f;
    }
}
