package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Per-time-step labels of a many-to-many network, padded to a common length: the features mask
 * masks the labels, so padding (even with nonsense labels) changes neither loss nor gradient.
 */
class StepLabelsTest {
    private static final int MAX_STEPS = 6;
    private static final int FEATURES = 2;
    private static final int CLASSES = 2;

    private static List<NetworkSpec> networks() {
        var layers = new NeuralNetConfiguration.Builder().seed(3);
        NetworkSpec multiLayer = NetworkSpec.of(layers.list()
                .layer(new LSTM.Builder().nIn(FEATURES).nOut(5).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build());
        NetworkSpec graph = NetworkSpec.of(new NeuralNetConfiguration.Builder().seed(3).graphBuilder()
                .addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nIn(FEATURES).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), "lstm")
                .setOutputs("out")
                .build());
        return List.of(multiLayer, graph);
    }

    /** One flat row as arrow-io's sequence converter writes it: step values, zero padding, then the mask. */
    private static float[] featureRow(int steps, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] row = new float[MAX_STEPS * (FEATURES + 1)];
        for (int s = 0; s < steps; s++) {
            for (int f = 0; f < FEATURES; f++) {
                row[s * FEATURES + f] = (float) random.nextGaussian();
            }
            row[MAX_STEPS * FEATURES + s] = 1;
        }
        return row;
    }

    /** One-hot per-step targets, row-major by step; padding steps get {@code padding} in every class. */
    private static float[] labelRow(int steps, float padding) {
        float[] row = new float[MAX_STEPS * CLASSES];
        for (int s = 0; s < MAX_STEPS; s++) {
            for (int k = 0; k < CLASSES; k++) {
                row[s * CLASSES + k] = s < steps ? (k == s % CLASSES ? 1 : 0) : padding;
            }
        }
        return row;
    }

    private static INDArray rows(float[]... rows) {
        return Nd4j.create(rows).castTo(DataType.FLOAT);
    }

    @Test
    void shouldNotLetPaddingChangeTheLossOrTheGradient() {
        for (NetworkSpec spec : networks()) {
            NetworkAdapter network = NetworkAdapter.create(spec, null)
                    .withInput(InputLayout.paddedSequence(MAX_STEPS, FEATURES));
            assertTrue(network.perStepOutput());
            float[] shortFeatures = featureRow(3, 1);
            float[] longFeatures = featureRow(MAX_STEPS, 2);
            // The short row alone is trimmed to its own 3 steps: no padding reaches the network.
            double shortLoss = network.computeGradient(rows(shortFeatures), rows(labelRow(3, 0)));
            INDArray shortGradient = network.flatGradient().dup();
            double longLoss = network.computeGradient(rows(longFeatures), rows(labelRow(MAX_STEPS, 0)));
            INDArray longGradient = network.flatGradient().dup();
            // Together the short row is padded to 6 steps, its padding labelled with nonsense.
            double bothLoss = network.computeGradient(rows(shortFeatures, longFeatures),
                    rows(labelRow(3, 7), labelRow(MAX_STEPS, 0)));
            INDArray bothGradient = network.flatGradient().dup();

            // DL4J's score is the mean over rows; its gradient the sum over rows.
            assertEquals(shortLoss + longLoss, 2 * bothLoss, 1e-4, spec.kind() + " loss");
            INDArray summed = shortGradient.add(longGradient);
            double difference = summed.sub(bothGradient).norm2Number().doubleValue();
            assertTrue(difference < 1e-4 * Math.max(1, summed.norm2Number().doubleValue()),
                    spec.kind() + " gradients differ by " + difference);
        }
    }

    @Test
    void shouldPickTheRealStepsOfEachRowInOrder() {
        InputLayout layout = InputLayout.paddedSequence(MAX_STEPS, FEATURES);
        INDArray features = rows(featureRow(2, 1), featureRow(4, 2));
        assertArrayEquals(new int[] {2, 4}, layout.stepCounts(features));
        // Labels: row 0 steps hold 10, 11; row 1 steps hold 20 .. 23 (and padding 99).
        INDArray labels = rows(new float[] {10, 11, 99, 99, 99, 99}, new float[] {20, 21, 22, 23, 99, 99});
        INDArray perStep = layout.stepLabels(labels, features);
        assertArrayEquals(new long[] {2, 1, 4}, perStep.shape(), "trimmed to the longest row of the batch");
        float[] real = InputLayout.realSteps(perStep, layout.stepCounts(features)).toFloatVector();
        assertArrayEquals(new float[] {10, 11, 20, 21, 22, 23}, real);
    }
}
