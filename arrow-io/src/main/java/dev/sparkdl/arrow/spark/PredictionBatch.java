package dev.sparkdl.arrow.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.Nd4jViews;

/**
 * Model output for {@code rows} rows, in Arrow vectors Spark can read: a {@code [rows x k]}
 * float matrix column ({@code array<float>}, e.g. raw predictions or probabilities) and a
 * double column (e.g. the predicted class or value).
 *
 * <p>{@link #matrix()} and {@link #scalars()} are ND4J views of the Arrow buffers, so the
 * network's output is copied once, straight into Arrow ({@code matrix().assign(output)}).
 * Spark's {@code ArrowColumnVector} has no accessor for {@code FixedSizeList}, so the matrix
 * is a {@code List<Float4>} whose offsets step by {@code k}: its data is still contiguous.
 *
 * <p>This object owns the vectors; {@link #columnarBatch()} shares them (closing that batch
 * closes the vectors too, which is harmless but then this object is unusable). Rows from
 * {@link #internalRows()} read the vectors in place; {@link #rows()} copies values out and
 * survives {@link #close()}.
 */
public final class PredictionBatch implements AutoCloseable {
    private static final ArrowType FLOAT4 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    private static final ArrowType FLOAT8 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final StructType sparkSchema;
    private final int rows;
    private final int k;
    private ColumnarBatch batch;

    private PredictionBatch(BufferAllocator allocator, VectorSchemaRoot root, StructType sparkSchema, int rows, int k) {
        this.allocator = allocator;
        this.root = root;
        this.sparkSchema = sparkSchema;
        this.rows = rows;
        this.k = k;
    }

    /**
     * Allocates zeroed output for {@code rows} rows: column {@code matrixColumn} of {@code k}
     * floats per row and column {@code scalarColumn} of one double per row.
     */
    public static PredictionBatch allocate(BufferAllocator parent, int rows, String matrixColumn, int k,
                                           String scalarColumn) {
        if (rows < 0 || k <= 0) {
            throw new IllegalArgumentException("bad output shape [" + rows + " x " + k + "]");
        }
        BufferAllocator allocator = Allocators.child(parent, "predictions");
        VectorSchemaRoot root = null;
        try {
            Field element = new Field("element", FieldType.notNullable(FLOAT4), null);
            Field matrix = new Field(matrixColumn, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(element));
            Field scalar = new Field(scalarColumn, FieldType.notNullable(FLOAT8), null);
            root = VectorSchemaRoot.create(new Schema(List.of(matrix, scalar)), allocator);

            ListVector list = (ListVector) root.getVector(matrixColumn);
            list.setInitialCapacity(rows);
            list.allocateNew();
            Float4Vector values = (Float4Vector) list.getDataVector();
            values.allocateNew(rows * k);
            values.getValidityBuffer().setOne(0, ((long) rows * k + 7) / 8);
            for (int i = 0; i < rows; i++) {
                list.startNewValue(i);
                list.endValue(i, k);
            }
            Float8Vector scalars = (Float8Vector) root.getVector(scalarColumn);
            scalars.allocateNew(rows);
            scalars.getValidityBuffer().setOne(0, (rows + 7) / 8);
            root.setRowCount(rows);

            StructType sparkSchema = new StructType(new StructField[] {
                DataTypes.createStructField(matrixColumn, DataTypes.createArrayType(DataTypes.FloatType, false), false),
                DataTypes.createStructField(scalarColumn, DataTypes.DoubleType, false)});
            return new PredictionBatch(allocator, root, sparkSchema, rows, k);
        } catch (RuntimeException e) {
            if (root != null) {
                root.close();
            }
            allocator.close();
            throw e;
        }
    }

    public int numRows() {
        return rows;
    }

    /** The {@code [rows x k]} float matrix, a view of the Arrow column: write predictions into it. */
    public INDArray matrix() {
        Float4Vector values = (Float4Vector) ((ListVector) root.getVector(0)).getDataVector();
        return Nd4jViews.floatMatrix(values.getDataBuffer(), 0, rows, k);
    }

    /** The {@code [rows x 1]} double column, a view of the Arrow column. */
    public INDArray scalars() {
        return Nd4jViews.doubleMatrix(((Float8Vector) root.getVector(1)).getDataBuffer(), 0, rows, 1);
    }

    /** The Spark schema of {@link #columnarBatch()} and {@link #rows()}. */
    public StructType sparkSchema() {
        return sparkSchema;
    }

    /** The columns as Spark sees them, over the same memory; valid until {@link #close()}. */
    public ColumnarBatch columnarBatch() {
        if (batch == null) {
            ColumnVector[] columns = {new ArrowColumnVector(root.getVector(0)), new ArrowColumnVector(root.getVector(1))};
            batch = new ColumnarBatch(columns, rows);
        }
        return batch;
    }

    /** Spark's row view of the columnar batch, read in place; valid until {@link #close()}. */
    public Iterator<InternalRow> internalRows() {
        return columnarBatch().rowIterator();
    }

    /** External rows {@code (float[] matrixRow, double scalar)}, read through the columnar batch and copied. */
    public List<Row> rows() {
        ColumnarBatch columns = columnarBatch();
        List<Row> out = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            out.add(RowFactory.create(columns.column(0).getArray(i).toFloatArray(), columns.column(1).getDouble(i)));
        }
        return out;
    }

    @Override
    public void close() {
        // ColumnarBatch.close would close the same vectors; closing the root once is enough.
        root.close();
        allocator.close();
    }
}
