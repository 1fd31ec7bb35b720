package dev.sparkdl.train;

import dev.sparkdl.arrow.MiniBatch;

/** One rank's share of the training rows, as the worker loop reads them. */
public interface WorkerData extends AutoCloseable {

    int numRows();

    int featureWidth();

    /**
     * Width of the network's target rows: the number of classes, or 1 for a regressor; times the
     * padded steps for per-time-step labels.
     */
    int labelWidth();

    /**
     * Features {@code [rows.length x featureWidth]} and targets {@code [rows.length x labelWidth]}
     * of the given rows, in that order; valid until the next call.
     */
    MiniBatch batch(int[] rows);

    @Override
    void close();

    /** {@code data} with {@code hook} run on each step's rows before they are read (test and fault hooks). */
    static WorkerData beforeEachBatch(WorkerData data, java.util.function.Consumer<int[]> hook) {
        return new WorkerData() {
            @Override
            public int numRows() {
                return data.numRows();
            }

            @Override
            public int featureWidth() {
                return data.featureWidth();
            }

            @Override
            public int labelWidth() {
                return data.labelWidth();
            }

            @Override
            public MiniBatch batch(int[] rows) {
                hook.accept(rows);
                return data.batch(rows);
            }

            @Override
            public void close() {
                data.close();
            }
        };
    }
}
