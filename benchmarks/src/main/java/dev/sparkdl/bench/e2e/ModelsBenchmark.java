package dev.sparkdl.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.bench.report.ReadmeSection;
import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.submit.Presets;
import dev.sparkdl.train.EpochRecord;

/**
 * Issue #8's accuracy benchmarks with the full data: Fashion-MNIST with 2 spark-dl workers (allreduce,
 * {@code local[2]}), a LeNet-style CNN on the flat pixel column ({@code InputType.convolutionalFlat}, target
 * 0.91 test accuracy) and an LSTM that reads each image row by row (the 784-pixel column as a flat array of
 * 28 steps of 28 features, {@code sequenceLength = 28}, many-to-one through {@code LastTimeStep}; target 0.85).
 * Reports test accuracy after each model's epochs, the best epoch, samples/s and the whole fit time.
 *
 * <p>Options: {@code --models cnn,lstm (or cnn-bn: LeNet with batch normalization) --cnn-epochs 14
 * --lstm-epochs 6 --workers 2 --batch-size 128 --train-limit 0 --test-limit 0 --test-each-epoch true
 * --out benchmarks/results --readme benchmarks/README.md} ({@code none} leaves the README alone; a limit
 * of 0 means every image).
 */
public final class ModelsBenchmark {
    private static final long SEED = 12345;
    private static final String HELD_OUT = "heldOut";

    private record Model(String key, String description, MultiLayerConfiguration conf, int sequenceLength,
                         int epochs, double target) {
    }

    private ModelsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                System.err.println("usage: benchmarks/run.sh models [--models cnn,lstm] [--cnn-epochs 14] "
                        + "[--lstm-epochs 6] [--workers 2] [--batch-size 128] [--train-limit 0] [--test-limit 0] "
                        + "[--test-each-epoch true] "
                        + "[--out benchmarks/results] [--readme benchmarks/README.md|none]");
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        int workers = Integer.parseInt(opts.getOrDefault("workers", "2"));
        int batchSize = Integer.parseInt(opts.getOrDefault("batch-size", "128"));
        int trainLimit = Integer.parseInt(opts.getOrDefault("train-limit", "0"));
        int testLimit = Integer.parseInt(opts.getOrDefault("test-limit", "0"));
        boolean testEachEpoch = Boolean.parseBoolean(opts.getOrDefault("test-each-epoch", "true"));
        int cnnEpochs = Integer.parseInt(opts.getOrDefault("cnn-epochs", "14"));
        Path out = Path.of(opts.getOrDefault("out", "benchmarks/results"));
        String readme = opts.getOrDefault("readme", ReadmeSection.README.toString());
        List<Model> models = new ArrayList<>();
        for (String key : opts.getOrDefault("models", "cnn,lstm").split(",")) {
            models.add(switch (key) {
                case "cnn" -> new Model("cnn", "LeNet (conv5x5x20, max-pool, conv5x5x50, max-pool, dense 500, "
                        + "dropout 0.5, softmax) on flat pixels", Presets.lenet(28, 28, 1, FashionMnist.CLASSES, false, 1e-3, SEED),
                        0, cnnEpochs, 0.91);
                case "cnn-bn" -> new Model("cnn-bn", "LeNet with batch normalization after each convolution "
                        + "(conv5x5x20, BN, max-pool, conv5x5x50, BN, max-pool, dense 500, dropout 0.5, softmax)",
                        lenetWithBatchNorm(), 0, cnnEpochs, 0.91);
                case "lstm" -> new Model("lstm", "LSTM 28->128 over the 28 pixel rows (sequenceLength 28), last "
                        + "step -> softmax", rowByRowLstm(), 28,
                        Integer.parseInt(opts.getOrDefault("lstm-epochs", "6")), 0.85);
                default -> throw new IllegalArgumentException("--models takes cnn, cnn-bn and/or lstm, got " + key);
            });
        }

        SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("spark-dl models benchmark")
                .config("spark.ui.enabled", "false").getOrCreate();
        Instant started = Instant.now();
        double loadStart = LoadAverage.oneMinute();
        StringBuilder csv = new StringBuilder("model,epochs,workers,test_accuracy,target,"
                + "loop_samples_per_s,fit_seconds,load_start,load_end\n");
        StringBuilder md = new StringBuilder();
        try {
            Dataset<Row> train = FashionMnist.train(spark, trainLimit).persist(StorageLevel.MEMORY_ONLY());
            Dataset<Row> test = FashionMnist.test(spark, testLimit).persist(StorageLevel.MEMORY_ONLY());
            long trainRows = train.count();
            long testRows = test.count();
            md.append(String.format(Locale.ROOT, "Measured %s on %d cores (%s), one-minute load average %.2f at the "
                            + "start; Spark `local[%d]`, spark-dl allreduce with %d workers, global batch %d, Adam 1e-3, "
                            + "float32, %,d training and %,d test images, shuffled each epoch.%n%n", started,
                    Runtime.getRuntime().availableProcessors(), LoadAverage.cpuModel(), loadStart, workers, workers,
                    batchSize, trainRows, testRows))
                    .append("| model | epochs | test accuracy | target | training loop samples/s | whole fit s | "
                            + "training loss per epoch | test accuracy per epoch |\n|---|---|---|---|---|---|---|---|\n");
            for (Model model : models) {
                double load = LoadAverage.oneMinute();
                DL4JClassifier classifier = new DL4JClassifier()
                        .setNetwork(model.conf())
                        .setEpochs(model.epochs())
                        .setBatchSize(batchSize)
                        .setNumWorkers(workers)
                        .setTrainingMode("allreduce")
                        .setSeed(SEED)
                        .setShuffle(true);
                if (model.sequenceLength() > 0) {
                    classifier.setSequenceLength(model.sequenceLength());
                }
                // The test rows ride along as validation rows (never trained on, no early stopping) so that the
                // table shows the accuracy curve; the reported accuracy is the final model's, scored apart below.
                Dataset<Row> fitInput = testEachEpoch
                        ? train.withColumn(HELD_OUT, functions.lit(false))
                                .unionByName(test.withColumn(HELD_OUT, functions.lit(true)))
                        : train;
                if (testEachEpoch) {
                    classifier.setValidationCol(HELD_OUT);
                }
                long start = System.nanoTime();
                DL4JClassificationModel fitted = classifier.fit(fitInput);
                double fitSeconds = (System.nanoTime() - start) / 1e9;
                double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                        .evaluate(fitted.transform(test));
                long samples = 0;
                double loopSeconds = 0;
                StringBuilder losses = new StringBuilder();
                StringBuilder curve = new StringBuilder();
                for (EpochRecord record : fitted.trainingHistory()) {
                    samples += record.samples();
                    loopSeconds += record.seconds();
                    losses.append(losses.length() > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f",
                            record.trainLoss()));
                    curve.append(curve.length() > 0 ? ", " : "").append(Double.isNaN(record.validationMetric())
                            ? "-" : String.format(Locale.ROOT, "%.4f", record.validationMetric()));
                }
                String verdict = accuracy >= model.target() ? "reached" : "NOT reached";
                System.out.printf(Locale.ROOT, "RESULT %s accuracy=%.4f target=%.2f (%s) samples/s=%.0f fit_s=%.1f%n",
                        model.key(), accuracy, model.target(), verdict, samples / loopSeconds, fitSeconds);
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.2f,%.1f,%.1f,%.2f,%.2f%n", model.key(),
                        model.epochs(), workers, accuracy, model.target(), samples / loopSeconds, fitSeconds, load,
                        LoadAverage.oneMinute()));
                md.append(String.format(Locale.ROOT, "| %s | %d | **%.4f** | %.2f (%s) | %,.0f | %.1f | %s | %s |%n",
                        model.description(), model.epochs(), accuracy, model.target(), verdict,
                        samples / loopSeconds, fitSeconds, losses, testEachEpoch ? curve : "not measured"));
            }
        } finally {
            spark.stop();
        }
        String table = md.toString();
        Files.createDirectories(out);
        Files.writeString(out.resolve("models.csv"), csv.toString());
        Files.writeString(out.resolve("models.md"), table);
        System.out.println();
        System.out.print(table);
        if (!"none".equals(readme)) {
            ReadmeSection.replace(Path.of(readme), "models", table);
        }
        System.exit(0);
    }

    /** The LeNet preset's layers with batch normalization after each convolution (faster to converge). */
    static MultiLayerConfiguration lenetWithBatchNorm() {
        return new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nOut(FashionMnist.CLASSES).dropOut(0.5).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    /** An LSTM classifier that reads a 28x28 image as 28 steps of 28 pixels (one row per step). */
    static MultiLayerConfiguration rowByRowLstm() {
        return new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new LastTimeStep(new LSTM.Builder().nIn(28).nOut(128).activation(Activation.TANH).build()))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX)
                        .nIn(128).nOut(FashionMnist.CLASSES).build())
                .build();
    }
}
