package dev.sparkdl.ps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The shard owners' optimizer states put together are the whole network's, as checkpoints need. */
class Dl4jShardUpdaterStateTest {

    @Test
    void shouldAssembleTheWholeUpdaterStateFromTheShards() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(7).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        long n = net.numParams();
        ShardLayout layout = ShardLayout.balanced(n, Dl4jShardUpdater.boundaries(net), 2);
        Dl4jShardUpdater whole = new Dl4jShardUpdater(net, 0, n);
        Dl4jShardUpdater[] shards = {new Dl4jShardUpdater(net, layout.from(0), layout.to(0)),
            new Dl4jShardUpdater(net, layout.from(1), layout.to(1))};
        float[] wholeParams = whole.initialParams();
        float[][] shardParams = {shards[0].initialParams(), shards[1].initialParams()};
        Random random = new Random(4);
        for (int step = 0; step < 3; step++) {
            float[] gradient = new float[Math.toIntExact(n)];
            for (int i = 0; i < gradient.length; i++) {
                gradient[i] = (float) random.nextGaussian();
            }
            for (int k = 0; k < 2; k++) {
                shards[k].apply(Arrays.copyOfRange(gradient, (int) layout.from(k), (int) layout.to(k)), 8, 0, step,
                        shardParams[k]);
            }
            whole.apply(gradient, 8, 0, step, wholeParams);
        }
        for (int k = 0; k < 2; k++) {
            assertArrayEquals(Arrays.copyOfRange(wholeParams, (int) layout.from(k), (int) layout.to(k)), shardParams[k],
                    1e-7f, "shard " + k + "'s parameters differ from the whole network's step");
        }
        long stateLength = net.getUpdater().getStateViewArray().length();
        // The whole network's shard covers every value of the state vector.
        assertEquals(stateLength, whole.state().length);
        INDArray expected = Nd4j.zeros(DataType.FLOAT, stateLength);
        Dl4jShardUpdater.putState(net, 0, n, whole.state(), expected);
        INDArray assembled = Nd4j.zeros(DataType.FLOAT, stateLength);
        for (int k = 0; k < 2; k++) {
            Dl4jShardUpdater.putState(net, layout.from(k), layout.to(k), shards[k].state(), assembled);
        }
        assertTrue(expected.amaxNumber().doubleValue() > 0, "Adam's moments are still zero");
        assertArrayEquals(expected.toFloatVector(), assembled.toFloatVector(), 1e-7f);
        assertThrows(IllegalArgumentException.class,
                () -> Dl4jShardUpdater.putState(net, layout.from(0), layout.to(0), new float[3], assembled));
    }
}
