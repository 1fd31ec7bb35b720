package dev.sparkdl.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import javax.imageio.ImageIO;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestSpark;

/** Spark's image data source column as CNN input, from tiny PNGs written here. */
@Timeout(240)
class ImageColumnTest {
    private static final int SIDE = 6;

    /** Noisy images, mostly red ("red-*.png", label 1) or mostly blue (label 0). */
    private static void writeImages(Path dir, int perClass, int side, long seed) throws IOException {
        Random random = new Random(seed);
        for (int i = 0; i < 2 * perClass; i++) {
            boolean red = i % 2 == 0;
            BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int strong = 150 + random.nextInt(100);
                    int weak = random.nextInt(100);
                    int green = random.nextInt(256);
                    image.setRGB(x, y, red ? (strong << 16) | (green << 8) | weak : (weak << 16) | (green << 8) | strong);
                }
            }
            ImageIO.write(image, "png", new File(dir.toFile(), (red ? "red-" : "blue-") + i + ".png"));
        }
    }

    private static Dataset<Row> images(Path dir) {
        Dataset<Row> images = TestSpark.session().read().format("image").load(dir.toString());
        return images.withColumn("label",
                functions.when(functions.col("image.origin").contains("/red-"), 1.0).otherwise(0.0));
    }

    private static MultiLayerConfiguration cnn() {
        return new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(0.02)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(SIDE, SIDE, 3))
                .build();
    }

    @Test
    void shouldTrainACnnOnTheImageColumnAndNameTheColumnOfAnOddSize(@TempDir Path dir) throws Exception {
        Path train = Files.createDirectory(dir.resolve("train"));
        writeImages(train, 20, SIDE, 1);
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(cnn()).setFeaturesCol("image")
                .setEpochs(10).setBatchSize(8).setNumWorkers(1).fit(images(train));
        assertEquals(SIDE * SIDE * 3, model.numFeatures());
        Path test = Files.createDirectory(dir.resolve("test"));
        writeImages(test, 10, SIDE, 2);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(images(test)));
        assertTrue(accuracy > 0.9, "accuracy " + accuracy);

        Path odd = Files.createDirectory(dir.resolve("odd"));
        writeImages(odd, 1, SIDE + 1, 3);
        Exception e = assertThrows(Exception.class, () -> model.transform(images(odd)).collectAsList());
        assertTrue(e.getMessage().contains("column 'image'") && e.getMessage().contains("expected 108"),
                e.getMessage());

        writeImages(train, 1, SIDE + 1, 4);
        e = assertThrows(IllegalArgumentException.class, () -> new DL4JClassifier().setNetwork(cnn())
                .setFeaturesCol("image").setEpochs(1).setNumWorkers(1).fit(images(train).coalesce(1)));
        // Which image comes first decides the wording: the odd one against the network, or against the first image.
        assertTrue(e.getMessage().contains("column 'image'") && (e.getMessage().contains("images must all have one size")
                || e.getMessage().contains("holds 147 values per row")), e.getMessage());
    }
}
