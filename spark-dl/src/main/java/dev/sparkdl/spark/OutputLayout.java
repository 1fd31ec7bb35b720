package dev.sparkdl.spark;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import dev.sparkdl.arrow.spark.PredictionBatch;

/**
 * How a batch of network output becomes the columns a model appends: first written into Arrow
 * vectors ({@link PredictionBatch}) with whole-batch ND4J ops, then read per row through Spark's
 * {@code ArrowColumnVector}s.
 */
public enum OutputLayout {
    /** rawPrediction (log-probabilities), probability, prediction (arg max), like MLlib's classifiers. */
    CLASSIFICATION(3) {
        @Override
        PredictionBatch predictions(INDArray output, BufferAllocator allocator) {
            int rows = (int) output.rows();
            int k = (int) output.columns();
            return filled(PredictionBatch.allocate(allocator, rows, List.of("rawPrediction", "probability"), k,
                    "prediction"), out -> {
                INDArray probability = out.matrix(1).assign(output);
                Transforms.relu(probability, false);
                float[] sums = probability.sum(1).toFloatVector();
                for (int i = 0; i < rows; i++) {
                    if (!(sums[i] > 0)) {
                        // Nothing positive to normalise: every class is equally likely.
                        probability.getRow(i).assign(1);
                        sums[i] = k;
                    }
                }
                probability.diviColumnVector(org.nd4j.linalg.factory.Nd4j.createFromArray(sums).reshape(rows, 1));
                // Floor at the smallest normal float so an underflowed class stays finite.
                INDArray raw = out.matrix(0).assign(probability);
                Transforms.log(Transforms.max(raw, Float.MIN_NORMAL, false), false);
                out.scalars().assign(probability.argMax(1).reshape(rows, 1).castTo(DataType.DOUBLE));
            });
        }

        @Override
        void cells(ColumnarBatch batch, int row, Object[] dst, int offset) {
            dst[offset] = Vectors.dense(doubles(batch.column(0).getArray(row).toFloatArray()));
            dst[offset + 1] = Vectors.dense(doubles(batch.column(1).getArray(row).toFloatArray()));
            dst[offset + 2] = batch.column(2).getDouble(row);
        }
    },
    /** prediction: the single output value. */
    REGRESSION(1) {
        @Override
        PredictionBatch predictions(INDArray output, BufferAllocator allocator) {
            return filled(PredictionBatch.allocate(allocator, (int) output.rows(), List.of(), 0, "prediction"),
                    out -> out.scalars().assign(output.getColumn(0).reshape(output.rows(), 1).castTo(DataType.DOUBLE)));
        }

        @Override
        void cells(ColumnarBatch batch, int row, Object[] dst, int offset) {
            dst[offset] = batch.column(0).getDouble(row);
        }
    };

    private final int columns;

    OutputLayout(int columns) {
        this.columns = columns;
    }

    int columns() {
        return columns;
    }

    /** The output columns of a {@code [rows x outputs]} network output, in Arrow memory owned by the caller. */
    abstract PredictionBatch predictions(INDArray output, BufferAllocator allocator);

    /** Row {@code row} of {@code batch} (from {@link #predictions}) as cells {@code dst[offset ..]}. */
    abstract void cells(ColumnarBatch batch, int row, Object[] dst, int offset);

    /** {@code out} after {@code fill}; closed if filling fails, so no Arrow memory is left behind. */
    private static PredictionBatch filled(PredictionBatch out, java.util.function.Consumer<PredictionBatch> fill) {
        try {
            fill.accept(out);
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    private static double[] doubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
