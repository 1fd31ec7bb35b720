package dev.sparkdl.spark;

import java.io.Serializable;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.spark.RowsToArrow;

/**
 * The label column and what the network's targets are made of: a class index one-hot encoded into
 * {@code numClasses} for a classifier, the value itself for a regressor; one per row, or one per
 * time step for a many-to-many recurrent network. Values are read and checked (null, NaN, class
 * index, number of steps) by arrow-io's converter, which {@link #applyTo} configures.
 */
public final class LabelEncoder implements Serializable {
    private static final long serialVersionUID = 2L;

    private final String column;
    private final int numClasses;
    /** The padded time steps of per-step labels; 0 for one label per row. */
    private final int maxSteps;
    /** Targets per time step of per-step labels (1 for a classifier's class index). */
    private final int valuesPerStep;

    private LabelEncoder(String column, int numClasses, int maxSteps, int valuesPerStep) {
        this.column = column;
        this.numClasses = numClasses;
        this.maxSteps = maxSteps;
        this.valuesPerStep = valuesPerStep;
    }

    public static LabelEncoder classification(StructType schema, String column, int numClasses) {
        numericColumn(schema, column);
        return new LabelEncoder(column, numClasses, 0, 1);
    }

    public static LabelEncoder regression(StructType schema, String column) {
        numericColumn(schema, column);
        return new LabelEncoder(column, 0, 0, 1);
    }

    /** One class index per time step, for sequences padded to {@code maxSteps}. */
    public static LabelEncoder stepClassification(String column, int numClasses, int maxSteps) {
        return new LabelEncoder(column, numClasses, maxSteps, 1);
    }

    /** {@code valuesPerStep} targets per time step, for sequences padded to {@code maxSteps}. */
    public static LabelEncoder stepRegression(String column, int maxSteps, int valuesPerStep) {
        return new LabelEncoder(column, 0, maxSteps, valuesPerStep);
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

    /** Whether there is a label per time step (many-to-many) rather than one per row. */
    public boolean perStep() {
        return maxSteps > 0;
    }

    /** The network's targets per row, or per time step for per-step labels. */
    public int width() {
        return numClasses > 0 ? numClasses : valuesPerStep;
    }

    /** Label values per row as the converter writes them: 1, or padded steps times values per step. */
    public int valuesPerRow() {
        return perStep() ? Math.multiplyExact(maxSteps, valuesPerStep) : 1;
    }

    /** Names this label column, its classes and its steps to a converter. */
    public RowsToArrow.Builder applyTo(RowsToArrow.Builder converter) {
        converter.label(column).classes(numClasses);
        return perStep() ? converter.stepLabels(maxSteps, valuesPerStep) : converter;
    }
}
