package dev.sparkdl.bench.e2e;

import java.util.List;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The baseline: DL4J's own {@code MultiLayerNetwork.fit(DataSetIterator)} in this process, on the
 * same rows the Spark runs read (collected from the same DataFrame), with the given ND4J thread
 * count. Minibatches are cut before each epoch's timer starts and handed over without DL4J's
 * asynchronous prefetch (it would only copy batches that are already in memory, on one more thread),
 * so the timed loop is DL4J's fit alone: the most favourable setting for the baseline.
 */
public final class SingleProcessDl4j {
    private final DataSet train;
    private final DataSet test;

    private SingleProcessDl4j(DataSet train, DataSet test) {
        this.train = train;
        this.test = test;
    }

    /** Copies both DataFrames (features Vector, label class index) into float32 ND4J arrays. */
    static SingleProcessDl4j fromFrames(Dataset<Row> train, Dataset<Row> test, int classes) {
        return new SingleProcessDl4j(toDataSet(train, classes), toDataSet(test, classes));
    }

    /** Rows of (features Vector, label class index), as {@link dev.sparkdl.data.FashionMnist} reads them. */
    static SingleProcessDl4j fromRows(List<Row> train, List<Row> test, int classes) {
        return new SingleProcessDl4j(toDataSet(train, classes), toDataSet(test, classes));
    }

    int trainRows() {
        return (int) train.numExamples();
    }

    /** Untimed: a few hundred steps so the JIT has compiled DL4J's fit path before any timer runs. */
    void warmUp(MultiLayerConfiguration conf, int batchSize) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
        net.init();
        List<DataSet> batches = train.batchBy(batchSize);
        net.fit(inMemory(batches.subList(0, Math.min(200, batches.size()))));
    }

    RunResult run(String name, MultiLayerConfiguration conf, int threads, int epochs, int batchSize, long seed) {
        NativeThreadSetting before = NativeThreadSetting.current();
        double loadBefore = LoadAverage.oneMinute();
        NativeThreadSetting.uniform(threads).apply();
        try {
            MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
            net.init();
            if (net.params().dataType() != DataType.FLOAT) {
                throw new IllegalStateException("expected float32 parameters, got " + net.params().dataType());
            }
            MeanScore score = new MeanScore();
            net.setListeners(score);

            long fitStart = System.nanoTime();
            double loopSeconds = 0;
            for (int epoch = 0; epoch < epochs; epoch++) {
                train.shuffle(seed + epoch);
                List<DataSet> batches = train.batchBy(batchSize);
                score.reset();
                long start = System.nanoTime();
                net.fit(inMemory(batches));
                loopSeconds += (System.nanoTime() - start) / 1e9;
            }
            double fitSeconds = (System.nanoTime() - fitStart) / 1e9;

            Evaluation evaluation = net.evaluate(new ExistingDataSetIterator(test.batchBy(1000)));
            long samples = (long) epochs * trainRows();
            return new RunResult(name, "dl4j", "single-process", 1, threads, RunResult.OK,
                    "MultiLayerNetwork.fit on pre-cut minibatches", epochs, samples, loopSeconds, fitSeconds, 0,
                    samples / loopSeconds, samples / fitSeconds, score.mean(), evaluation.accuracy(), loadBefore,
                    LoadAverage.oneMinute());
        } finally {
            before.apply();
        }
    }

    /** Minibatches already in memory, without DL4J's prefetch thread. */
    private static DataSetIterator inMemory(List<DataSet> batches) {
        return new ExistingDataSetIterator(batches) {
            @Override
            public boolean asyncSupported() {
                return false;
            }
        };
    }

    /** A frame's (features Vector, label class index) rows as one float32 DataSet. */
    public static DataSet toDataSet(Dataset<Row> frame, int classes) {
        return toDataSet(frame.select("features", "label").collectAsList(), classes);
    }

    private static DataSet toDataSet(List<Row> rows, int classes) {
        int width = ((Vector) rows.get(0).get(0)).size();
        float[] features = new float[rows.size() * width];
        INDArray labels = Nd4j.zeros(DataType.FLOAT, rows.size(), classes);
        for (int r = 0; r < rows.size(); r++) {
            double[] values = ((Vector) rows.get(r).get(0)).toArray();
            for (int c = 0; c < width; c++) {
                features[r * width + c] = (float) values[c];
            }
            labels.putScalar(r, (int) rows.get(r).getDouble(1), 1f);
        }
        return new DataSet(Nd4j.create(features, new long[] {rows.size(), width}, 'c'), labels);
    }

    /** The mean of DL4J's per-minibatch score over one epoch, comparable with spark-dl's epoch loss. */
    private static final class MeanScore extends BaseTrainingListener {
        private double sum;
        private long count;

        void reset() {
            sum = 0;
            count = 0;
        }

        double mean() {
            return count > 0 ? sum / count : Double.NaN;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            sum += model.score();
            count++;
        }
    }
}
