package dev.sparkdl.demo;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.submit.Presets;
import dev.sparkdl.train.EpochRecord;

/**
 * Trains the 784-256-10 MLP (or with {@code --model cnn} LeNet) on the 60,000 Fashion-MNIST training images in Spark local mode,
 * prints per-epoch progress and the accuracy on the 10,000 test images, and saves the model.
 */
public final class FashionMnistDemo {
    /** The accuracy the demo promises; below it the demo exits non-zero. */
    static final double REQUIRED_ACCURACY = 0.85;

    private FashionMnistDemo() {
    }

    public static MultiLayerConfiguration mlp(long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(FashionMnist.PIXELS).nOut(256).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(256).nOut(FashionMnist.CLASSES).activation(Activation.SOFTMAX).build())
                .build();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        String master = options.getOrDefault("master", "local[2]");
        int epochs = Integer.parseInt(options.getOrDefault("epochs", "5"));
        int workers = Integer.parseInt(options.getOrDefault("workers", "2"));
        int batchSize = Integer.parseInt(options.getOrDefault("batch-size", "128"));
        String modelDir = options.getOrDefault("model-dir", "target/fashion-mnist-model");
        String networkName = options.getOrDefault("model", "mlp");
        MultiLayerConfiguration network = switch (networkName) {
            case "mlp" -> mlp(12345);
            case "cnn" -> Presets.lenet(28, 28, 1, FashionMnist.CLASSES, false, 1e-3, 12345);
            default -> throw new IllegalArgumentException("--model must be mlp or cnn, got '" + networkName + "'");
        };
        String description = "cnn".equals(networkName) ? "LeNet CNN" : "MLP 784-256-10";

        int status = 0;
        SparkSession spark = SparkSession.builder().master(master).appName("spark-dl Fashion-MNIST demo")
                .config("spark.ui.showConsoleProgress", "false").getOrCreate();
        try {
            Dataset<Row> train = FashionMnist.train(spark, 0).cache();
            Dataset<Row> test = FashionMnist.test(spark, 0).cache();
            System.out.printf("Fashion-MNIST: %,d training and %,d test images from %s%n", train.count(), test.count(),
                    FashionMnist.directory());
            System.out.printf("Training %s (Adam 1e-3) for %d epochs, global batch %d, %d worker(s), %s%n",
                    description, epochs, batchSize, workers, master);

            long start = System.nanoTime();
            DL4JClassificationModel model = new DL4JClassifier()
                    .setNetwork(network)
                    .setEpochs(epochs)
                    .setBatchSize(batchSize)
                    .setNumWorkers(workers)
                    .fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            for (EpochRecord record : model.trainingHistory()) {
                System.out.printf("epoch %d/%d  loss %.4f  %,.0f samples/s  %.1f s%n", record.epoch(), epochs,
                        record.trainLoss(), record.samplesPerSecond(), record.seconds());
            }

            double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                    .evaluate(model.transform(test));
            model.write().overwrite().save(modelDir);
            System.out.printf("fit took %.1f s; test accuracy %.4f on %,d images; model saved to %s%n", seconds,
                    accuracy, test.count(), modelDir);
            if (accuracy < REQUIRED_ACCURACY) {
                System.err.printf("test accuracy %.4f is below %.2f%n", accuracy, REQUIRED_ACCURACY);
                status = 1;
            }
        } finally {
            spark.stop();
        }
        // Spark 3.5's barrier mode leaves a non-daemon timer thread ("Barrier task timer for barrier()
        // calls.") in the driver of a local-mode app, so the JVM would never exit on its own.
        System.exit(status);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: spark-dl demo [--epochs N] [--workers N] [--batch-size N] "
                        + "[--master URL] [--model-dir PATH] [--model mlp|cnn]");
                System.exit(2);
            }
            options.put(arg.substring(2), args[++i]);
        }
        return options;
    }
}
