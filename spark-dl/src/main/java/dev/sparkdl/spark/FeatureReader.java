package dev.sparkdl.spark;

import java.io.Serializable;

import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import scala.collection.Seq;

/**
 * Copies one feature column into a row-major float matrix. The reader is chosen once per column
 * from its Spark type (never per row); every value is checked, and a bad one is reported with the
 * column and the row's position.
 */
public abstract sealed class FeatureReader implements Serializable {
    private static final long serialVersionUID = 1L;

    protected final String column;
    protected final int columnIndex;
    protected final int width;

    FeatureReader(String column, int columnIndex, int width) {
        this.column = column;
        this.columnIndex = columnIndex;
        this.width = width;
    }

    /** The column types spark-dl reads features from. */
    public static boolean isSupported(DataType type) {
        return type instanceof VectorUDT
                || type.equals(DataTypes.createArrayType(DataTypes.FloatType, true))
                || type.equals(DataTypes.createArrayType(DataTypes.FloatType, false))
                || type.equals(DataTypes.createArrayType(DataTypes.DoubleType, true))
                || type.equals(DataTypes.createArrayType(DataTypes.DoubleType, false));
    }

    public static String supportedTypes() {
        return "ml Vector (VectorUDT), array<float> or array<double>";
    }

    public static FeatureReader forColumn(StructType schema, String column, int width) {
        int index = schema.fieldIndex(column);
        DataType type = schema.fields()[index].dataType();
        if (type instanceof VectorUDT) {
            return new VectorReader(column, index, width);
        }
        if (type instanceof ArrayType array && (array.elementType().equals(DataTypes.FloatType)
                || array.elementType().equals(DataTypes.DoubleType))) {
            return new ArrayReader(column, index, width);
        }
        throw new IllegalArgumentException("Column '" + column + "' has type " + type.simpleString()
                + "; features must be " + supportedTypes());
    }

    /** The width of the first row's value, to learn the feature width when nothing else says it. */
    public static int widthOf(Row row, int columnIndex) {
        Object value = row.get(columnIndex);
        if (value instanceof Vector vector) {
            return vector.size();
        }
        if (value instanceof Seq<?> seq) {
            return seq.size();
        }
        return -1;
    }

    public int width() {
        return width;
    }

    public String column() {
        return column;
    }

    /**
     * Writes the row's features to {@code dst[offset .. offset + width)}.
     *
     * @param position the row's position in its partition, for error messages
     */
    public final void read(Row row, float[] dst, int offset, int partition, long position) {
        if (row.isNullAt(columnIndex)) {
            throw bad(partition, position, "is null");
        }
        copy(row, dst, offset, partition, position);
        for (int i = offset; i < offset + width; i++) {
            if (!Float.isFinite(dst[i])) {
                throw bad(partition, position, "has a non-finite value " + dst[i] + " at index " + (i - offset));
            }
        }
    }

    abstract void copy(Row row, float[] dst, int offset, int partition, long position);

    BadRowException bad(int partition, long position, String what) {
        return new BadRowException(column, partition, position, what);
    }

    void checkLength(int length, int partition, long position) {
        if (length != width) {
            throw bad(partition, position, "has length " + length + " but the network expects " + width);
        }
    }

    static final class VectorReader extends FeatureReader {
        VectorReader(String column, int columnIndex, int width) {
            super(column, columnIndex, width);
        }

        @Override
        void copy(Row row, float[] dst, int offset, int partition, long position) {
            Vector vector = (Vector) row.get(columnIndex);
            checkLength(vector.size(), partition, position);
            if (vector instanceof DenseVector dense) {
                double[] values = dense.values();
                for (int i = 0; i < width; i++) {
                    dst[offset + i] = (float) values[i];
                }
            } else {
                SparseVector sparse = (SparseVector) vector;
                java.util.Arrays.fill(dst, offset, offset + width, 0f);
                int[] indices = sparse.indices();
                double[] values = sparse.values();
                for (int i = 0; i < indices.length; i++) {
                    dst[offset + indices[i]] = (float) values[i];
                }
            }
        }
    }

    /** array<float> and array<double>: Spark hands both over as boxed numbers. */
    static final class ArrayReader extends FeatureReader {
        ArrayReader(String column, int columnIndex, int width) {
            super(column, columnIndex, width);
        }

        @Override
        void copy(Row row, float[] dst, int offset, int partition, long position) {
            Seq<Object> values = row.getSeq(columnIndex);
            checkLength(values.size(), partition, position);
            var it = values.iterator();
            for (int i = 0; i < width; i++) {
                Object v = it.next();
                if (v == null) {
                    throw bad(partition, position, "has a null element at index " + i);
                }
                dst[offset + i] = ((Number) v).floatValue();
            }
        }
    }
}
