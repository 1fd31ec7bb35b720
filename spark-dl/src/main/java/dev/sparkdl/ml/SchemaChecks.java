package dev.sparkdl.ml;

import java.util.Arrays;

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

    static StructType append(StructType schema, String column, DataType type) {
        if (Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException("Output column '" + column + "' already exists; "
                    + "choose another name with its param");
        }
        return schema.add(new StructField(column, type, false, org.apache.spark.sql.types.Metadata.empty()));
    }

    static StructType appendPrediction(StructType schema, String column) {
        return append(schema, column, DataTypes.DoubleType);
    }
}
