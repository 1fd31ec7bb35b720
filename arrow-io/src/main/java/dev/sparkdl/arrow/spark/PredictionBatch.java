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
 * Model output for {@code rows} rows, in Arrow vectors Spark can read: any number of
 * {@code [rows x k]} float matrix columns ({@code array<float>}, e.g. raw predictions and
 * probabilities) and one double column (e.g. the predicted class or value).
 *
 * <p>{@link #matrix(int)} and {@link #scalars()} are ND4J views of the Arrow buffers, so the
 * network's output is copied once, straight into Arrow ({@code matrix(0).assign(output)}).
 * Spark's {@code ArrowColumnVector} has no accessor for {@code FixedSizeList}, so a matrix
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
     * Allocates output for {@code rows} rows: the {@code matrixColumns}, each of {@code k} floats
     * per row, then {@code scalarColumn} of one double per row. Values start undefined: write
     * every cell.
     */
    public static PredictionBatch allocate(BufferAllocator parent, int rows, List<String> matrixColumns, int k,
                                           String scalarColumn) {
        if (rows < 0 || (k <= 0 && !matrixColumns.isEmpty())) {
            throw new IllegalArgumentException("bad output shape [" + rows + " x " + k + "]");
        }
        BufferAllocator allocator = Allocators.child(parent, "predictions");
        VectorSchemaRoot root = null;
        try {
            List<Field> fields = new ArrayList<>();
            List<StructField> sparkFields = new ArrayList<>();
            for (String name : matrixColumns) {
                Field element = new Field("element", FieldType.notNullable(FLOAT4), null);
                fields.add(new Field(name, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(element)));
                sparkFields.add(DataTypes.createStructField(name,
                    DataTypes.createArrayType(DataTypes.FloatType, false), false));
            }
            fields.add(new Field(scalarColumn, FieldType.notNullable(FLOAT8), null));
            sparkFields.add(DataTypes.createStructField(scalarColumn, DataTypes.DoubleType, false));
            root = VectorSchemaRoot.create(new Schema(fields), allocator);
            for (String name : matrixColumns) {
                allocateMatrix((ListVector) root.getVector(name), rows, k);
            }
            Float8Vector scalars = (Float8Vector) root.getVector(scalarColumn);
            scalars.allocateNew(rows);
            scalars.getValidityBuffer().setOne(0, (rows + 7) / 8);
            root.setRowCount(rows);
            StructType sparkSchema = new StructType(sparkFields.toArray(StructField[]::new));
            return new PredictionBatch(allocator, root, sparkSchema, rows, k);
        } catch (RuntimeException e) {
            if (root != null) {
                root.close();
            }
            allocator.close();
            throw e;
        }
    }

    private static void allocateMatrix(ListVector list, int rows, int k) {
        list.setInitialCapacity(rows);
        list.allocateNew();
        Float4Vector values = (Float4Vector) list.getDataVector();
        values.allocateNew(rows * k);
        values.getValidityBuffer().setOne(0, ((long) rows * k + 7) / 8);
        for (int i = 0; i < rows; i++) {
            list.startNewValue(i);
            list.endValue(i, k);
        }
    }

    public int numRows() {
        return rows;
    }

    /** Matrix column {@code i} as a {@code [rows x k]} float view of its Arrow vector: write predictions into it. */
    public INDArray matrix(int i) {
        if (i < 0 || i >= matrixColumns()) {
            throw new IndexOutOfBoundsException("matrix column " + i + " of " + matrixColumns());
        }
        Float4Vector values = (Float4Vector) ((ListVector) root.getVector(i)).getDataVector();
        return Nd4jViews.floatMatrix(values.getDataBuffer(), 0, rows, k);
    }

    /** The {@code [rows x 1]} double column (the last one), a view of its Arrow vector. */
    public INDArray scalars() {
        return Nd4jViews.doubleMatrix(((Float8Vector) root.getVector(matrixColumns())).getDataBuffer(), 0, rows, 1);
    }

    private int matrixColumns() {
        return root.getFieldVectors().size() - 1;
    }

    /** The Spark schema of {@link #columnarBatch()} and {@link #rows()}. */
    public StructType sparkSchema() {
        return sparkSchema;
    }

    /** The columns as Spark sees them, over the same memory; valid until {@link #close()}. */
    public ColumnarBatch columnarBatch() {
        if (batch == null) {
            ColumnVector[] columns = root.getFieldVectors().stream().map(ArrowColumnVector::new)
                .toArray(ColumnVector[]::new);
            batch = new ColumnarBatch(columns, rows);
        }
        return batch;
    }

    /** Spark's row view of the columnar batch, read in place; valid until {@link #close()}. */
    public Iterator<InternalRow> internalRows() {
        return columnarBatch().rowIterator();
    }

    /** External rows {@code (float[] matrixRow..., double scalar)}, read through the columnar batch and copied. */
    public List<Row> rows() {
        ColumnarBatch columns = columnarBatch();
        int matrices = matrixColumns();
        List<Row> out = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            Object[] cells = new Object[matrices + 1];
            for (int c = 0; c < matrices; c++) {
                cells[c] = columns.column(c).getArray(i).toFloatArray();
            }
            cells[matrices] = columns.column(matrices).getDouble(i);
            out.add(RowFactory.create(cells));
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
