package dev.sparkdl.spark;

import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.ml.linalg.Vector;
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
            dst[offset] = vector(batch, 0, row);
            dst[offset + 1] = vector(batch, 1, row);
            dst[offset + 2] = batch.column(2).getDouble(row);
        }

        @Override
        void stepCells(ColumnarBatch batch, int firstRow, int steps, Object[] dst, int offset) {
            Vector[] raw = new Vector[steps];
            Vector[] probability = new Vector[steps];
            double[] prediction = new double[steps];
            for (int s = 0; s < steps; s++) {
                raw[s] = vector(batch, 0, firstRow + s);
                probability[s] = vector(batch, 1, firstRow + s);
                prediction[s] = batch.column(2).getDouble(firstRow + s);
            }
            dst[offset] = raw;
            dst[offset + 1] = probability;
            dst[offset + 2] = prediction;
        }
    },
    /** prediction: the single output value (several per step for a many-to-many network with nOut > 1). */
    REGRESSION(1) {
        @Override
        PredictionBatch predictions(INDArray output, BufferAllocator allocator) {
            int rows = (int) output.rows();
            int k = (int) output.columns();
            // Several targets (per time step) travel as a matrix; the scalar column then holds the first.
            List<String> matrix = k == 1 ? List.of() : List.of("predictions");
            return filled(PredictionBatch.allocate(allocator, rows, matrix, k, "prediction"), out -> {
                if (k > 1) {
                    out.matrix(0).assign(output);
                }
                out.scalars().assign(output.getColumn(0).reshape(rows, 1).castTo(DataType.DOUBLE));
            });
        }

        @Override
        void cells(ColumnarBatch batch, int row, Object[] dst, int offset) {
            dst[offset] = batch.column(batch.numCols() - 1).getDouble(row);
        }

        @Override
        void stepCells(ColumnarBatch batch, int firstRow, int steps, Object[] dst, int offset) {
            boolean vectors = batch.numCols() > 1;
            Object[] targets = new Object[steps];
            double[] values = new double[steps];
            for (int s = 0; s < steps; s++) {
                if (vectors) {
                    targets[s] = doubles(batch.column(0).getArray(firstRow + s).toFloatArray());
                } else {
                    values[s] = batch.column(0).getDouble(firstRow + s);
                }
            }
            dst[offset] = vectors ? targets : values;
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

    /**
     * For a network that predicts at every time step: rows {@code firstRow .. firstRow + steps - 1}
     * of {@code batch} (one per real step of one input row) as cells {@code dst[offset ..]}, each an
     * array with one element per step.
     */
    abstract void stepCells(ColumnarBatch batch, int firstRow, int steps, Object[] dst, int offset);

    private static Vector vector(ColumnarBatch batch, int column, int row) {
        return Vectors.dense(doubles(batch.column(column).getArray(row).toFloatArray()));
    }

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
