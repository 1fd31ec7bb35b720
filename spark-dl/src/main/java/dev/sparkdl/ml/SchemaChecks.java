package dev.sparkdl.ml;

import java.util.Arrays;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.spark.FeatureWriters;

/** Schema checks with messages that name the column and what was expected. */
final class SchemaChecks {

    private SchemaChecks() {
    }

    static DataType require(StructType schema, String column, String role) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("The " + role + " column '" + column + "' does not exist; "
                    + "available columns: " + String.join(", ", schema.fieldNames()));
        }
        return schema.apply(column).dataType();
    }

    static void requireFeatures(StructType schema, String column) {
        FeatureWriters.requireSupported(column, require(schema, column, "features"));
    }

    /** Every features column exists and is readable; sequence params fit the columns. */
    static void requireFeatures(StructType schema, java.util.List<String> columns, HasSequenceParams sequences) {
        for (String column : columns) {
            requireFeatures(schema, column);
            DataType type = schema.apply(column).dataType();
            sequences.checkSequenceParams(column, type);
            if (columns.size() > 1 && (FeatureWriters.isSequence(type) || sequences.getSequenceLength() > 0)) {
                throw new IllegalArgumentException("featuresCols: column '" + column + "' is read as a sequence, "
                        + "but sequences are supported with one features column only");
            }
        }
    }

    static void requireNumeric(StructType schema, String column, String role) {
        DataType type = require(schema, column, role);
        if (!(type instanceof NumericType)) {
            throw new IllegalArgumentException("Column '" + column + "' has type " + type.simpleString()
                    + "; the " + role + " must be numeric");
        }
    }

    /**
     * The label column fits the network: a number per row, or for a network that predicts at every
     * time step (an {@code RnnOutputLayer}) an array with one label per step; with
     * {@code vectorsPerStep}, also an {@code array<array<double>>} of several targets per step.
     */
    static void requireLabel(StructType schema, String column, boolean perStep, boolean vectorsPerStep) {
        DataType type = require(schema, column, "label");
        if (!perStep) {
            if (type instanceof ArrayType) {
                throw new IllegalArgumentException("Column '" + column + "' has type " + type.simpleString()
                        + ", a label per time step, but the network's output layer predicts once per row; "
                        + "end the network in an RnnOutputLayer to predict at every step");
            }
            requireNumeric(schema, column, "label");
            return;
        }
        boolean numbers = type instanceof ArrayType array && array.elementType() instanceof NumericType;
        if (!numbers && !(vectorsPerStep && FeatureWriters.isSequence(type))) {
            throw new IllegalArgumentException("Column '" + column + "' has type " + type.simpleString()
                    + "; the network's output layer is an RnnOutputLayer, which predicts at every time step, so "
                    + "the label must hold one " + (vectorsPerStep
                    ? "target per step: array<double>, or array<array<double>> for several targets per step"
                    : "class index per step: array<int> or array<double>"));
        }
    }

    /**
     * A classifier's rawPrediction, probability and prediction columns: a vector, a vector and a
     * double per row, or per time step arrays of them (one element per real step of the row).
     */
    static StructType appendClassifierOutputs(StructType schema, String rawPrediction, String probability,
                                              String prediction, boolean perStep) {
        DataType vector = SQLDataTypes.VectorType();
        StructType out = append(schema, rawPrediction, perStep ? steps(vector) : vector);
        out = append(out, probability, perStep ? steps(vector) : vector);
        return append(out, prediction, perStep ? steps(DataTypes.DoubleType) : DataTypes.DoubleType);
    }

    /**
     * A regressor's prediction column: a double per row, or per time step an {@code array<double>}
     * ({@code targetsPerStep} 1) or an {@code array<array<double>>} (several targets per step).
     *
     * @param targetsPerStep 0 for one prediction per row
     */
    static StructType appendRegressionOutputs(StructType schema, String prediction, int targetsPerStep) {
        DataType type = targetsPerStep == 0 ? DataTypes.DoubleType
                : targetsPerStep == 1 ? steps(DataTypes.DoubleType) : steps(steps(DataTypes.DoubleType));
        return append(schema, prediction, type);
    }

    private static DataType steps(DataType element) {
        return DataTypes.createArrayType(element, false);
    }

    static StructType append(StructType schema, String column, DataType type) {
        if (Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("Output column '" + column + "' already exists; "
                    + "choose another name with its param");
        }
        return schema.add(new StructField(column, type, false, org.apache.spark.sql.types.Metadata.empty()));
    }
}
