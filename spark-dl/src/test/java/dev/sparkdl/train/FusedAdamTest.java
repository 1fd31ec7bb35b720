package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import dev.sparkdl.TestData;
import dev.sparkdl.ps.FusedAdam;

/** The fused Adam step does what DL4J's updater does, and stays out of the networks where it would not. */
class FusedAdamTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "graph", "schedule"})
    void shouldMatchDl4jsUpdaterStepForStep(String kind) {
        NetworkSpec spec = switch (kind) {
            case "mlp" -> NetworkSpec.of(TestData.mlp(6, 16, 3, 5));
            case "graph" -> NetworkSpec.of(TestData.graph(6, 16, 3, 5));
            default -> NetworkSpec.of(mlp(new Adam(new MapSchedule(ScheduleType.ITERATION,
                    Map.of(0, 0.02, 5, 0.005, 12, 0.001))), GradientNormalization.None, false));
        };
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        NetworkAdapter fused = NetworkAdapter.create(spec, initial);
        NetworkAdapter dl4j = NetworkAdapter.create(spec, initial).withDl4jUpdater();
        Nd4j.getRandom().setSeed(17);
        for (int step = 0; step < 30; step++) {
            int rows = 5 + step % 7;
            INDArray x = Nd4j.rand(DataType.FLOAT, rows, 6);
            INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 3);
            for (int i = 0; i < rows; i++) {
                y.putScalar(i, (i + step) % 3, 1f);
            }
            fused.computeGradient(x, y);
            dl4j.computeGradient(x, y);
            fused.applyUpdate(rows);
            dl4j.applyUpdate(rows);
            assertClose(dl4j.params(), fused.params(), "parameters after step " + step);
        }
        assertNotNull(FusedAdam.of(updaterOf(fused), fused.params(), fused.flatGradient(), true),
                "this network should take the fused step");
        assertClose(dl4j.updaterState(), fused.updaterState(), "Adam's moments");
        assertEquals(30, fused.iteration());
        assertTrue(fused.params().sub(initial.reshape(fused.params().shape())).amaxNumber().doubleValue() > 1e-3,
                "the networks did not train");
    }

    @Test
    void shouldLeaveNetworksWhoseUpdaterDoesMoreToDl4j() {
        assertNotNull(fusedFor(mlp(new Adam(0.01), GradientNormalization.None, false)), "the plain case");
        assertNull(fusedFor(mlp(new Sgd(0.1), GradientNormalization.None, false)), "not Adam");
        assertNull(fusedFor(mlp(new Adam(0.01), GradientNormalization.ClipL2PerLayer, false)),
                "gradient normalization");
        assertNull(fusedFor(mlp(new Adam(0.01), GradientNormalization.None, true)), "L2 regularization");
        MultiLayerConfiguration batchNorm = new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(8).build())
                .layer(new BatchNormalization.Builder().nOut(8).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        assertNull(fusedFor(batchNorm), "batch norm's running statistics are not divided by the batch");
        System.setProperty(FusedAdam.ENABLED_PROPERTY, "false");
        try {
            assertNull(fusedFor(mlp(new Adam(0.01), GradientNormalization.None, false)), "switched off");
        } finally {
            System.clearProperty(FusedAdam.ENABLED_PROPERTY);
        }
    }

    private static FusedAdam fusedFor(MultiLayerConfiguration conf) {
        NetworkAdapter network = NetworkAdapter.create(NetworkSpec.of(conf), null);
        return FusedAdam.of(updaterOf(network), network.params(), network.flatGradient(), true);
    }

    private static BaseMultiLayerUpdater<?> updaterOf(NetworkAdapter network) {
        Object net = network.network();
        return net instanceof MultiLayerNetwork mln ? (BaseMultiLayerUpdater<?>) mln.getUpdater(true)
                : ((org.deeplearning4j.nn.graph.ComputationGraph) net).getUpdater(true);
    }

    private static MultiLayerConfiguration mlp(IUpdater updater, GradientNormalization normalization, boolean l2) {
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder().seed(5).updater(updater)
                .gradientNormalization(normalization).gradientNormalizationThreshold(1.0);
        if (l2) {
            builder.l2(1e-3);
        }
        return builder.list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
        double diff = expected.sub(actual.reshape(expected.shape())).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-5 * scale, what + " differ from DL4J's by " + diff + " (scale " + scale + ")");
    }
}
