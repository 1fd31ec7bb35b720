package dev.sparkdl.submit;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Named networks for users who do not bring DL4J JSON (and for the benchmarks): an MLP and LeNet. */
public final class Presets {

    private Presets() {
    }

    /** @param outputs classes for a classifier, or 1 with {@code regression} */
    public static MultiLayerConfiguration mlp(int inputs, int hidden, int outputs, boolean regression, double learningRate,
                                       long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(learningRate))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(inputs).nOut(hidden).activation(Activation.RELU).build())
                .layer(outputLayer(hidden, outputs, regression))
                .build();
    }

    /** LeNet-5 style: two conv/pool blocks, a dense layer, on flat pixels of {@code height x width x channels}. */
    public static MultiLayerConfiguration lenet(int height, int width, int channels, int outputs, boolean regression,
                                         double learningRate, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(learningRate))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                .layer(outputLayer(0, outputs, regression))
                .setInputType(InputType.convolutionalFlat(height, width, channels))
                .build();
    }

    private static OutputLayer outputLayer(int inputs, int outputs, boolean regression) {
        OutputLayer.Builder builder = regression
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX);
        if (inputs > 0) {
            builder.nIn(inputs);
        }
        return builder.nOut(outputs).build();
    }
}
