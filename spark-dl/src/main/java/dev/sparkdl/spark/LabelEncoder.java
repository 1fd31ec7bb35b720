package dev.sparkdl.spark;

import java.io.Serializable;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.spark.BadRowException;

/**
 * The label column and what the network's targets are made of: a class index one-hot encoded into
 * {@code numClasses} for a classifier, the value itself for a regressor. Values are read (and
 * checked for null and NaN) by arrow-io's converter; this class adds the classifier's rule that a
 * label is a class index.
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

    /**
     * Checks a classifier's label is a class index; the label is already known to be a finite
     * number (the converter checked it).
     *
     * @param position the row's position in its partition, for the message
     */
    public void checkClass(Row row, int partition, long position) {
        if (numClasses == 0) {
            return;
        }
        double label = ((Number) row.get(columnIndex)).doubleValue();
        if (label != Math.rint(label) || label < 0 || label >= numClasses) {
            throw new BadRowException(column, position, partition, "label " + label + " is not a class: a classifier "
                    + "with " + numClasses + " classes needs an integer class index in 0.." + (numClasses - 1));
        }
    }
}
