package dev.sparkdl.arrow;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J arrays over Arrow memory, without copying.
 *
 * <p>The array's {@link DataBuffer} wraps the Arrow buffer's address through a JavaCPP pointer
 * that owns nothing, and ND4J registers it as an "externalized" buffer, so neither the garbage
 * collector nor ND4J ever frees it. Ownership stays with Arrow: the view is valid while the
 * Arrow buffer is open and is not reallocated (no {@code setSafe}, no {@code clear}). Writes
 * through either side are seen by the other. Host memory only: on the CUDA backend ND4J would
 * copy the buffer to the device on first use, which is still correct but no longer a view.
 */
public final class Nd4jViews {
    private Nd4jViews() {
    }

    /**
     * A row-major {@code [rows x cols]} float matrix over {@code buf} starting {@code byteOffset}
     * bytes in. The result shares memory with {@code buf}; {@code buf} must outlive it.
     */
    public static INDArray floatMatrix(ArrowBuf buf, long byteOffset, long rows, long cols) {
        long count = checkedCount(buf, byteOffset, rows, cols, Float.BYTES);
        if (count == 0) {
            // ND4J cannot wrap an empty buffer; an empty array aliases nothing anyway.
            return Nd4j.create(DataType.FLOAT, 0, cols);
        }
        DataBuffer data = wrap(buf.memoryAddress() + byteOffset, count);
        return Nd4j.create(data, new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
    }

    /**
     * A row-major {@code [rows x cols]} double matrix over {@code buf} starting {@code byteOffset}
     * bytes in; shares memory with {@code buf} like {@link #floatMatrix}.
     */
    public static INDArray doubleMatrix(ArrowBuf buf, long byteOffset, long rows, long cols) {
        long count = checkedCount(buf, byteOffset, rows, cols, Double.BYTES);
        if (count == 0) {
            return Nd4j.create(DataType.DOUBLE, 0, cols);
        }
        DoublePointer pointer = new BorrowedDoubles(buf.memoryAddress() + byteOffset, count);
        DataBuffer data = Nd4j.createBuffer(pointer, DataType.DOUBLE, count, DoubleIndexer.create(pointer));
        return Nd4j.create(data, new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
    }

    /** The features of rows {@code [fromRow, fromRow + rows)} of a training batch, as a view. */
    public static INDArray features(VectorSchemaRoot batch, int fromRow, int rows) {
        checkRows(batch, fromRow, rows);
        int width = TrainingSchema.width(batch);
        Float4Vector values = TrainingSchema.featureValues(batch);
        return floatMatrix(values.getDataBuffer(), (long) fromRow * width * Float.BYTES, rows, width);
    }

    /** The labels of rows {@code [fromRow, fromRow + rows)} as a {@code [rows x labelWidth]} view. */
    public static INDArray labels(VectorSchemaRoot batch, int fromRow, int rows) {
        checkRows(batch, fromRow, rows);
        Float4Vector labels = TrainingSchema.labelsOrNull(batch);
        if (labels == null) {
            throw new IllegalArgumentException("batch has no " + TrainingSchema.LABEL + " column");
        }
        int width = TrainingSchema.labelWidth(batch);
        return floatMatrix(labels.getDataBuffer(), (long) fromRow * width * Float.BYTES, rows, width);
    }

    private static long checkedCount(ArrowBuf buf, long byteOffset, long rows, long cols, int elementBytes) {
        if (rows < 0 || cols <= 0) {
            throw new IllegalArgumentException("bad shape [" + rows + " x " + cols + "]");
        }
        long count = Math.multiplyExact(rows, cols);
        if (byteOffset < 0 || byteOffset + count * elementBytes > buf.capacity()) {
            throw new IndexOutOfBoundsException("[" + rows + " x " + cols + "] elements of " + elementBytes
                + " bytes at byte " + byteOffset + " do not fit a buffer of " + buf.capacity() + " bytes");
        }
        if ((buf.memoryAddress() + byteOffset) % elementBytes != 0) {
            throw new IllegalArgumentException("unaligned address for " + elementBytes + "-byte elements");
        }
        return count;
    }

    private static void checkRows(VectorSchemaRoot batch, int fromRow, int rows) {
        if (fromRow < 0 || rows < 0 || fromRow + rows > batch.getRowCount()) {
            throw new IndexOutOfBoundsException("rows [" + fromRow + ", " + (fromRow + rows)
                + ") of a batch of " + batch.getRowCount());
        }
    }

    private static DataBuffer wrap(long address, long count) {
        FloatPointer pointer = new BorrowedFloats(address, count);
        return Nd4j.createBuffer(pointer, DataType.FLOAT, count, FloatIndexer.create(pointer));
    }

    /** A pointer to memory someone else owns: no deallocator, so JavaCPP never frees it. */
    private static final class BorrowedFloats extends FloatPointer {
        BorrowedFloats(long address, long count) {
            this.address = address;
            this.limit = count;
            this.capacity = count;
        }
    }

    private static final class BorrowedDoubles extends DoublePointer {
        BorrowedDoubles(long address, long count) {
            this.address = address;
            this.limit = count;
            this.capacity = count;
        }
    }
}
