package dev.sparkdl.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class Nd4jViewsTest extends AllocatorTest {

    @Test
    void shouldWrapArrowMemoryWithoutCopying() {
        try (ArrowBuf buf = allocator.buffer(6 * Float.BYTES)) {
            INDArray view = Nd4jViews.floatMatrix(buf, 0, 2, 3);
            assertEquals(buf.memoryAddress(), view.data().address());
            assertEquals(DataType.FLOAT, view.dataType());
            assertEquals(2, view.rows());
            assertEquals(3, view.columns());
        }
    }

    @Test
    void shouldSeeWritesThroughEitherSide() {
        try (ArrowBuf buf = allocator.buffer(6 * Float.BYTES)) {
            buf.setZero(0, buf.capacity());
            INDArray view = Nd4jViews.floatMatrix(buf, 0, 2, 3);
            buf.setFloat((1 * 3 + 2) * Float.BYTES, 7.5f);
            assertEquals(7.5f, view.getFloat(1, 2));
            view.putScalar(0, 1, -2.25f);
            assertEquals(-2.25f, buf.getFloat(1 * Float.BYTES));
            view.addi(1f);
            assertEquals(8.5f, buf.getFloat(5 * Float.BYTES));
        }
    }

    @Test
    void shouldViewRowsOfATrainingBatchAtTheirOffset() {
        try (VectorSchemaRoot batch = TrainingSchema.allocate(allocator, 4, true, 8)) {
            for (int i = 0; i < 8 * 4; i++) {
                TrainingSchema.featureValues(batch).getDataBuffer().setFloat((long) i * Float.BYTES, i);
            }
            for (int r = 0; r < 8; r++) {
                TrainingSchema.labelsOrNull(batch).getDataBuffer().setFloat((long) r * Float.BYTES, 100 + r);
            }
            batch.setRowCount(8);
            INDArray features = Nd4jViews.features(batch, 2, 3);
            INDArray labels = Nd4jViews.labels(batch, 2, 3);
            long base = TrainingSchema.featureValues(batch).getDataBuffer().memoryAddress();
            assertEquals(base + 2 * 4 * Float.BYTES, features.data().address());
            assertEquals(8f, features.getFloat(0, 0));
            assertEquals(19f, features.getFloat(2, 3));
            assertEquals(3, labels.rows());
            assertEquals(1, labels.columns());
            assertEquals(104f, labels.getFloat(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> Nd4jViews.features(batch, 6, 3));
        }
    }

    @Test
    void shouldViewDoublesInPlace() {
        try (ArrowBuf buf = allocator.buffer(4 * Double.BYTES)) {
            INDArray view = Nd4jViews.doubleMatrix(buf, 0, 4, 1);
            view.assign(3.0);
            assertEquals(buf.memoryAddress(), view.data().address());
            assertEquals(3.0, buf.getDouble(3 * Double.BYTES));
        }
    }

    @Test
    void shouldRejectAViewPastTheBuffer() {
        try (ArrowBuf buf = allocator.buffer(16)) {
            assertThrows(IndexOutOfBoundsException.class, () -> Nd4jViews.floatMatrix(buf, 0, 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> Nd4jViews.floatMatrix(buf, 8, 1, 3));
        }
    }

    @Test
    void shouldNeverFreeArrowMemoryWhenViewsAreCollected() {
        try (ArrowBuf buf = allocator.buffer(1024 * Float.BYTES)) {
            buf.setFloat(0, 42f);
            for (int i = 0; i < 2000; i++) {
                Nd4jViews.floatMatrix(buf, 0, 32, 32).getFloat(0, 0);
            }
            System.gc();
            System.runFinalization();
            // ND4J's deallocator thread has had the chance to run; Arrow still owns and accounts the memory.
            INDArray again = Nd4jViews.floatMatrix(buf, 0, 32, 32);
            assertEquals(42f, again.getFloat(0, 0));
            assertEquals(buf.capacity(), allocator.getAllocatedMemory());
        }
    }
}
