package dev.sparkdl.bench.e2e;

import java.util.List;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.train.EpochRecord;

/** One spark-dl fit through the public estimator API, scored on the test frame. */
final class SparkDlRun {
    private final Dataset<Row> train;
    private final Dataset<Row> test;

    SparkDlRun(Dataset<Row> train, Dataset<Row> test) {
        this.train = train;
        this.test = test;
    }

    /**
     * Fits with the given mode and worker count. A mode the library rejects up front with
     * {@link UnsupportedOperationException} (parameter-server with more than one worker, for now)
     * becomes a skipped result carrying the library's message, so the configuration starts to run
     * on its own once the mode exists.
     */
    RunResult run(String name, MultiLayerConfiguration conf, String mode, int workers, int epochs, int batchSize,
                  long seed) {
        return run(name, conf, mode, "none", workers, epochs, batchSize, seed);
    }

    /** As above, with the {@code compression} param ("none", "threshold", "int8", ...). */
    RunResult run(String name, MultiLayerConfiguration conf, String mode, String compression, int workers, int epochs,
                  int batchSize, long seed) {
        double loadBefore = LoadAverage.oneMinute();
        DL4JClassifier classifier = new DL4JClassifier()
                .setNetwork(conf)
                .setEpochs(epochs)
                .setBatchSize(batchSize)
                .setNumWorkers(workers)
                .setTrainingMode(mode)
                .setCompression(compression)
                .setSeed(seed)
                .setShuffle(true);
        DL4JClassificationModel model;
        long start = System.nanoTime();
        try {
            model = classifier.fit(train);
        } catch (UnsupportedOperationException e) {
            return RunResult.skipped(name, "spark-dl", mode, workers, e.getMessage());
        } catch (RuntimeException e) {
            e.printStackTrace();
            return RunResult.failed(name, "spark-dl", mode, workers, e);
        }
        double fitSeconds = (System.nanoTime() - start) / 1e9;

        List<EpochRecord> history = model.trainingHistory();
        long samples = 0;
        double loopSeconds = 0;
        double exchangeSeconds = 0;
        for (EpochRecord record : history) {
            samples += record.samples();
            loopSeconds += record.seconds();
            exchangeSeconds += record.exchangeSeconds();
        }
        double finalLoss = history.isEmpty() ? Double.NaN : history.get(history.size() - 1).trainLoss();
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(test));
        return new RunResult(name, "spark-dl", mode, workers, 0, RunResult.OK,
                "native threads chosen by spark-dl" + ("none".equals(compression) ? "" : "; compression " + compression),
                epochs, samples, loopSeconds, fitSeconds, exchangeSeconds,
                samples / loopSeconds, samples / fitSeconds, finalLoss, accuracy, loadBefore,
                LoadAverage.oneMinute());
    }
}
