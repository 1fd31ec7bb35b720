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

    /**
     * LeNet-5 style: two conv/pool blocks, a dense layer with dropout after it, on flat pixels of
     * {@code height x width x channels}.
     */
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
                // Dropout on the 500 dense activations (DL4J's value is the keep probability): the dense layer
                // holds most of the weights and is where LeNet overfits Fashion-MNIST after a few epochs.
                .layer(outputLayer(0, outputs, regression, 0.5))
                .setInputType(InputType.convolutionalFlat(height, width, channels))
                .build();
    }

    private static OutputLayer outputLayer(int inputs, int outputs, boolean regression) {
        return outputLayer(inputs, outputs, regression, 0);
    }

    /** @param keepProbability dropout on the layer's input, 0 for none */
    private static OutputLayer outputLayer(int inputs, int outputs, boolean regression, double keepProbability) {
        OutputLayer.Builder builder = regression
                ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX);
        if (inputs > 0) {
            builder.nIn(inputs);
        }
        if (keepProbability > 0) {
            builder.dropOut(keepProbability);
        }
        return builder.nOut(outputs).build();
    }
}
