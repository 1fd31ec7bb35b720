package dev.sparkdl.arrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Iterator;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.arrow.AllocatorTest;

class PredictionBatchTest extends AllocatorTest {

    @Test
    void shouldExposePredictionsToSparkAsColumnarBatchAndRows() {
        INDArray output = Nd4j.createFromArray(new float[][] {{0.1f, 0.9f}, {0.7f, 0.3f}, {0.5f, 0.5f}});
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 3, List.of("probability"), 2, "prediction")) {
            out.matrix(0).assign(output);
            out.scalars().assign(output.argMax(1).reshape(3, 1).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE));

            ColumnarBatch batch = out.columnarBatch();
            assertEquals(3, batch.numRows());
            assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), batch.column(0).dataType());
            assertArrayEquals(new float[] {0.7f, 0.3f}, batch.column(0).getArray(1).toFloatArray());
            assertEquals(1.0, batch.column(1).getDouble(0));
            assertEquals(0.0, batch.column(1).getDouble(1));

            Iterator<InternalRow> internal = out.internalRows();
            InternalRow first = internal.next();
            assertEquals(0.9f, first.getArray(0).getFloat(1));
            internal.next();
            internal.next();
            assertFalse(internal.hasNext());

            List<Row> rows = out.rows();
            assertEquals(3, rows.size());
            assertArrayEquals(new float[] {0.5f, 0.5f}, (float[]) rows.get(2).get(0));
            assertEquals(0.0, rows.get(2).getDouble(1));
            assertEquals("struct<probability:array<float>,prediction:double>", out.sparkSchema().simpleString());
        }
    }

    @Test
    void shouldWriteThroughTheMatrixViewWithoutACopy() {
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 4, List.of("raw"), 3, "prediction")) {
            INDArray view = out.matrix(0);
            view.putScalar(3, 2, 6.5f);
            assertEquals(6.5f, out.columnarBatch().column(0).getArray(3).getFloat(2));
            assertEquals(view.data().address(), out.matrix(0).data().address());
        }
    }

    @Test
    void shouldHandleAnEmptyBatch() {
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 0, List.of("raw"), 3, "prediction")) {
            assertEquals(0, out.columnarBatch().numRows());
            assertEquals(List.of(), out.rows());
        }
    }

    @Test
    void shouldHoldSeveralMatrixColumnsOrNone() {
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 2, List.of("raw", "probability"), 2, "p")) {
            out.matrix(0).assign(Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}}));
            out.matrix(1).assign(Nd4j.createFromArray(new float[][] {{5, 6}, {7, 8}}));
            out.scalars().assign(9);
            assertEquals("struct<raw:array<float>,probability:array<float>,p:double>", out.sparkSchema().simpleString());
            Row second = out.rows().get(1);
            assertArrayEquals(new float[] {3, 4}, (float[]) second.get(0));
            assertArrayEquals(new float[] {7, 8}, (float[]) second.get(1));
            assertEquals(9.0, second.getDouble(2));
        }
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 2, List.of(), 0, "prediction")) {
            out.scalars().assign(Nd4j.createFromArray(new double[][] {{1.5}, {2.5}}));
            assertEquals(2.5, out.columnarBatch().column(0).getDouble(1));
            assertEquals(1, out.columnarBatch().numCols());
        }
    }
}
