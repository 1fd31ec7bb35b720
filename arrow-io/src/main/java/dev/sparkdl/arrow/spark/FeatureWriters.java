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

    /**
     * @param maxSteps the padded length of a sequence column ({@link #isSequence}); unused otherwise
     * @param width    the row width when known, else 0
     */
    static FeatureWriter forType(String column, DataType type, int maxSteps, int width) {
        if (type instanceof UserDefinedType<?> udt && LinalgVectors.isVectorUdt(udt)) {
            return new VectorWriter(udt);
        }
        if (ImageWriter.isImage(type)) {
            return new ImageWriter((StructType) type);
        }
        if (isSequence(type)) {
            if (maxSteps <= 0) {
                throw new IllegalArgumentException("sequence column '" + column + "' (" + type.simpleString()
                    + ") needs a maximum sequence length");
            }
            ArrayType steps = (ArrayType) ((ArrayType) type).elementType();
            return new SequenceWriter(maxSteps, width, steps.elementType().equals(DataTypes.DoubleType),
                steps.containsNull());
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
            + "; expected vector (Spark ML VectorUDT), array<float>, array<double>,"
            + " a sequence array<array<float>> or array<array<double>>, or an image (spark.read.format(\"image\"))");
    }

    /** Throws {@link IllegalArgumentException} naming {@code column} unless features can be read from {@code type}. */
    public static void requireSupported(String column, DataType type) {
        forType(column, type, 1, 0);
    }

    /** Whether {@code type} is a sequence column: {@code array<array<float>>} or {@code array<array<double>>}. */
    public static boolean isSequence(DataType type) {
        return type instanceof ArrayType outer && outer.elementType() instanceof ArrayType inner
            && (inner.elementType().equals(DataTypes.FloatType) || inner.elementType().equals(DataTypes.DoubleType));
    }

    /**
     * The row width of a sequence column padded to {@code maxSteps} steps of {@code stepWidth}
     * features: the step values, then one mask value per step (see {@link SequenceWriter}).
     */
    public static int sequenceWidth(int maxSteps, int stepWidth) {
        return SequenceWriter.encodedWidth(maxSteps, stepWidth);
    }

    /** The features per step of a sequence column {@code width} wide padded to {@code maxSteps}. */
    public static int sequenceStepWidth(int maxSteps, int width) {
        return SequenceWriter.stepWidth(maxSteps, width);
    }

    /**
     * The number of features in {@code row}'s value of {@code column}, read by the column's
     * converter; a null or unreadable value is a {@link BadRowException} at {@code position}.
     */
    public static int width(StructType schema, String column, Row row, long position) {
        return width(schema, column, row, position, 0);
    }

    /** As {@link #width(StructType, String, Row, long)}, for a sequence column padded to {@code maxSteps}. */
    public static int width(StructType schema, String column, Row row, long position, int maxSteps) {
        int ordinal = schema.fieldIndex(column);
        try {
            if (row.isNullAt(ordinal)) {
                throw new BadValue("null");
            }
            return forType(column, schema.fields()[ordinal].dataType(), maxSteps, 0).width(row.get(ordinal));
        } catch (BadValue e) {
            throw new BadRowException(column, position, BadRowException.UNKNOWN_PARTITION, e.getMessage());
        }
    }
}
