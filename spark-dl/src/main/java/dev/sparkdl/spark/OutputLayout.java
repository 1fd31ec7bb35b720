package dev.sparkdl.spark;

import org.apache.spark.ml.linalg.Vectors;

/** How a network's output row becomes the columns a model appends. */
public enum OutputLayout {
    /** rawPrediction (log-probabilities), probability, prediction (arg max), like MLlib's classifiers. */
    CLASSIFICATION(3) {
        @Override
        void write(float[] output, Object[] dst, int offset) {
            double[] probability = new double[output.length];
            double[] raw = new double[output.length];
            double sum = 0;
            for (float p : output) {
                sum += Math.max(p, 0f);
            }
            int best = 0;
            for (int k = 0; k < output.length; k++) {
                probability[k] = sum > 0 ? Math.max(output[k], 0f) / sum : 1.0 / output.length;
                // Floor at the smallest positive double so an underflowed class stays finite.
                raw[k] = Math.log(Math.max(probability[k], Double.MIN_NORMAL));
                if (probability[k] > probability[best]) {
                    best = k;
                }
            }
            dst[offset] = Vectors.dense(raw);
            dst[offset + 1] = Vectors.dense(probability);
            dst[offset + 2] = (double) best;
        }
    },
    /** prediction: the single output value. */
    REGRESSION(1) {
        @Override
        void write(float[] output, Object[] dst, int offset) {
            dst[offset] = (double) output[0];
        }
    };

    private final int columns;

    OutputLayout(int columns) {
        this.columns = columns;
    }

    int columns() {
        return columns;
    }

    abstract void write(float[] output, Object[] dst, int offset);
}
