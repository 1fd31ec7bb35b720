package dev.sparkdl.train;

import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.arrow.MiniBatch;
import dev.sparkdl.arrow.MiniBatches;
import dev.sparkdl.arrow.PartitionData;

/**
 * A rank's held-out rows, scored after every epoch. Each rank returns sums (rows, loss, metric)
 * that the exchange adds up, so the merged figures are exact: cross-entropy and accuracy for a
 * classifier, mean squared error and RMSE for a regressor. With per-time-step labels every real
 * step counts as one row (padding counts for nothing), and each target of a regressor as one value.
 */
public final class Validation implements AutoCloseable {
    private static final int ROWS_PER_BATCH = 1024;
    static final int SUM_ROWS = 0;
    static final int SUM_LOSS = 1;
    static final int SUM_METRIC = 2;

    private final PartitionData data;
    private final boolean classification;

    /** Takes ownership of {@code data}, whose labels are class indices or regression targets. */
    public Validation(PartitionData data, boolean classification) {
        this.data = data;
        this.classification = classification;
    }

    /** Whether a larger metric is better (accuracy) or a smaller one (RMSE). */
    public boolean higherIsBetter() {
        return classification;
    }

    /** This rank's sums: [rows (or steps, or values), loss sum, correct predictions or squared error sum]. */
    public double[] localSums(NetworkAdapter network) {
        double[] sums = new double[3];
        if (data.numRows() == 0) {
            return sums;
        }
        try (MiniBatches batches = data.epoch(0, 0, ROWS_PER_BATCH, false)) {
            while (batches.hasNext()) {
                MiniBatch batch = batches.next();
                INDArray output = network.output(batch.features());
                INDArray labels = batch.labels();
                if (network.perStepOutput()) {
                    InputLayout input = network.input();
                    int[] counts = input.stepCounts(batch.features());
                    output = InputLayout.realSteps(output, counts);
                    labels = InputLayout.realSteps(input.stepLabels(labels, batch.features()), counts);
                }
                float[][] out = output.toFloatMatrix();
                float[][] expected = labels.toFloatMatrix();
                for (int i = 0; i < out.length; i++) {
                    if (classification) {
                        int k = (int) expected[i][0];
                        sums[SUM_LOSS] -= Math.log(Math.max(out[i][k], 1e-12));
                        sums[SUM_METRIC] += argmax(out[i]) == k ? 1 : 0;
                        sums[SUM_ROWS]++;
                        continue;
                    }
                    for (int t = 0; t < expected[i].length; t++) {
                        double error = out[i][t] - expected[i][t];
                        sums[SUM_LOSS] += error * error;
                        sums[SUM_METRIC] += error * error;
                        sums[SUM_ROWS]++;
                    }
                }
            }
        }
        return sums;
    }

    /** [loss, metric] from the sums over all ranks. */
    public double[] merge(double[] sums) {
        double rows = sums[SUM_ROWS];
        if (rows == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double loss = sums[SUM_LOSS] / rows;
        double metric = classification ? sums[SUM_METRIC] / rows : Math.sqrt(sums[SUM_METRIC] / rows);
        return new double[] {loss, metric};
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    @Override
    public void close() {
        data.close();
    }
}
