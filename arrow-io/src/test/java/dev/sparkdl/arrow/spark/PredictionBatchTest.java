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
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 3, "probability", 2, "prediction")) {
            out.matrix().assign(output);
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
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 4, "raw", 3, "prediction")) {
            INDArray view = out.matrix();
            view.putScalar(3, 2, 6.5f);
            assertEquals(6.5f, out.columnarBatch().column(0).getArray(3).getFloat(2));
            assertEquals(view.data().address(), out.matrix().data().address());
        }
    }

    @Test
    void shouldHandleAnEmptyBatch() {
        try (PredictionBatch out = PredictionBatch.allocate(allocator, 0, "raw", 3, "prediction")) {
            assertEquals(0, out.columnarBatch().numRows());
            assertEquals(List.of(), out.rows());
        }
    }
}
