package dev.sparkdl.bench.ps;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.collective.InMemoryRendezvous;
import dev.sparkdl.train.AllreduceExchange;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.GradientExchange;
import dev.sparkdl.train.InMemoryData;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.ParameterServerExchange;
import dev.sparkdl.train.ProgressSink;
import dev.sparkdl.train.TrainingPlan;
import dev.sparkdl.train.WorkerLoop;

/**
 * spark-dl's training core (WorkerLoop with a real exchange over Aeron on loopback) with its ranks as
 * threads of this JVM, without Spark, so that one run can compare modes on the same model, data and
 * initial parameters and read the exchange's exact push and pull byte counts. Rank 0 scores the test
 * set after every epoch; that scoring time is left out of the training time.
 */
final class InProcessTraining {
    private static final byte[] SECRET = "spark-dl parameter-server bench!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final long TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    /** A training mode: allreduce, or the parameter server with a staleness and a codec. */
    record Mode(String label, boolean parameterServer, int staleness, String compression) {
    }

    /** Test accuracy after an epoch, and the training seconds up to its end (scoring excluded). */
    record EpochPoint(int epoch, double trainSeconds, double testAccuracy) {
    }

    /** What one fit measured; bytes are rank 0's, per step. */
    record Result(Mode mode, List<EpochPoint> epochs, long steps, double pushBytesPerStep, double pullBytesPerStep,
                  double meanStaleness) {
        double finalAccuracy() {
            return epochs.get(epochs.size() - 1).testAccuracy();
        }

        /** Training seconds until the test accuracy first reached {@code target}, or NaN. */
        double secondsTo(double target) {
            return epochs.stream().filter(e -> e.testAccuracy() >= target).mapToDouble(EpochPoint::trainSeconds)
                    .findFirst().orElse(Double.NaN);
        }
    }

    private InProcessTraining() {
    }

    static Result fit(Mode mode, NetworkSpec spec, INDArray initial, DataSet train, DataSet test, int ranks,
                      TrainingPlan plan, double compressionThreshold, int compressionTopK) throws Exception {
        InMemoryRendezvous rendezvous = new InMemoryRendezvous(ranks, TimeUnit.SECONDS.toNanos(60));
        List<EpochPoint> points = new ArrayList<>();
        long[] bytes = new long[2];
        double[] staleness = {Double.NaN};
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    NetworkAdapter network = NetworkAdapter.create(spec, initial);
                    try (InMemoryData data = slice(train, rank, ranks);
                         GradientExchange exchange = join(mode, rendezvous, rank, ranks, network, plan,
                                 compressionThreshold, compressionTopK)) {
                        ProgressSink progress = rank == 0 ? scorer(network, test, points) : ProgressSink.NONE;
                        List<EpochRecord> history = new WorkerLoop(network, data, plan, exchange, progress).run();
                        if (rank == 0) {
                            staleness[0] = history.get(history.size() - 1).staleness();
                            if (exchange instanceof ParameterServerExchange ps) {
                                bytes[0] = ps.server().bytesPushed();
                                bytes[1] = ps.server().bytesPulled();
                            } else {
                                // The ring sends as much as it receives.
                                bytes[0] = exchange.bytesSent();
                                bytes[1] = exchange.bytesSent();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(TIMEOUT_MS * plan.epochs(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(mode.label() + ": rank threads did not stop");
            }
        }
        long steps = (long) plan.epochs() * plan.stepsPerEpoch();
        return new Result(mode, List.copyOf(points), steps, (double) bytes[0] / steps, (double) bytes[1] / steps,
                staleness[0]);
    }

    private static GradientExchange join(Mode mode, InMemoryRendezvous rendezvous, int rank, int ranks,
                                         NetworkAdapter network, TrainingPlan plan, double threshold, int topK) {
        if (!mode.parameterServer()) {
            return AllreduceExchange.join(rendezvous.forRank(rank), rank, ranks, SECRET, "127.0.0.1",
                    network.params().length() * Float.BYTES, TIMEOUT_MS, "none", false);
        }
        return ParameterServerExchange.join(rendezvous.forRank(rank), rank, ranks, SECRET, "127.0.0.1", network,
                (long) plan.epochs() * plan.stepsPerEpoch(), mode.staleness(), mode.compression(), threshold, topK,
                TIMEOUT_MS);
    }

    /** Rows rank, rank + ranks, ... of the training set. */
    private static InMemoryData slice(DataSet train, int rank, int ranks) {
        int rows = train.numExamples();
        int[] mine = new int[(rows - rank + ranks - 1) / ranks];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = rank + i * ranks;
        }
        return new InMemoryData(Nd4j.pullRows(train.getFeatures(), 1, mine),
                Nd4j.pullRows(train.getLabels(), 1, mine));
    }

    /** Rank 0's progress: scores its replica on the test set after each epoch, off the training clock. */
    private static ProgressSink scorer(NetworkAdapter network, DataSet test, List<EpochPoint> points) {
        long startNs = System.nanoTime();
        long[] scoringNs = {0};
        return record -> {
            long before = System.nanoTime();
            double accuracy = accuracy(network, test);
            long after = System.nanoTime();
            points.add(new EpochPoint(record.epoch(), (before - startNs - scoringNs[0]) / 1e9, accuracy));
            scoringNs[0] += after - before;
        };
    }

    static double accuracy(NetworkAdapter network, DataSet test) {
        INDArray predicted = network.output(test.getFeatures()).argMax(1);
        INDArray actual = test.getLabels().argMax(1);
        return predicted.eq(actual).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().doubleValue()
                / test.numExamples();
    }
}
