package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.TestData;
import dev.sparkdl.collective.InMemoryRendezvous;

/** N ranks with B/N rows each must reproduce one worker with B rows (ARCHITECTURE.md, step 4). */
@Timeout(120)
class AllreduceExchangeTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

    /**
     * 2 and 4 ranks, a MultiLayerNetwork and a ComputationGraph, Adam, 24 steps (3 epochs of 8), summed over
     * Aeron and (ranks that share a JVM) through shared memory.
     */
    @ParameterizedTest(name = "{0} ranks, {1}, shared memory {2}")
    @CsvSource({"2, mlp, false", "4, mlp, false", "2, graph, false", "4, graph, false", "2, mlp, true",
            "4, graph, true"})
    void shouldReproduceOneWorkerWithTheGlobalBatch(int workers, String kind, boolean sharedMemory) throws Exception {
        int batch = 12;
        int steps = 8;
        int rows = batch * steps;
        int share = batch / workers;
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, rows, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 3);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, (i * 7) % 3, 1f);
        }
        NetworkSpec spec = kind.equals("mlp") ? NetworkSpec.of(TestData.mlp(6, 10, 3, 5))
                : NetworkSpec.of(TestData.graph(6, 10, 3, 5));
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        TrainingPlan plan = new TrainingPlan(3, batch, steps, 0, false);

        NetworkAdapter single = NetworkAdapter.create(spec, initial);
        try (WorkerData all = new InMemoryData(x.dup(), y.dup())) {
            new WorkerLoop(single, all, plan, new LocalExchange(), ProgressSink.NONE).run();
        }

        // Rank r holds, for each step s, global rows batch*s + share*r .. batch*s + share*(r+1) - 1.
        List<INDArray> params = runRanks(workers, rank -> {
            int[] mine = new int[share * steps];
            for (int s = 0; s < steps; s++) {
                for (int j = 0; j < share; j++) {
                    mine[s * share + j] = batch * s + share * rank + j;
                }
            }
            return new InMemoryData(Nd4j.pullRows(x, 1, mine), Nd4j.pullRows(y, 1, mine));
        }, spec, initial, plan, sharedMemory);

        for (INDArray p : params) {
            double diff = p.sub(single.params().reshape(p.shape())).amaxNumber().doubleValue();
            assertTrue(diff < 1e-5, "a " + workers + "-rank replica differs from the single worker by " + diff);
            assertEquals(params.get(0), p, "replicas are identical");
        }
        assertTrue(single.params().sub(initial.reshape(single.params().shape())).amaxNumber().doubleValue() > 1e-4);
    }

    @ParameterizedTest(name = "shared memory {0}")
    @ValueSource(booleans = {false, true})
    void shouldKeepThreeUnevenRanksBitIdentical(boolean sharedMemory) throws Exception {
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(4, 8, 2, 1));
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        int[] rowsPerRank = {7, 0, 3};
        List<INDArray> params = runRanks(3, rank -> {
            int n = rowsPerRank[rank];
            INDArray x = n == 0 ? Nd4j.create(DataType.FLOAT, 0, 4) : Nd4j.rand(DataType.FLOAT, n, 4);
            INDArray y = Nd4j.zeros(DataType.FLOAT, n, 2);
            for (int i = 0; i < n; i++) {
                y.putScalar(i, i % 2, 1f);
            }
            return new InMemoryData(x, y);
        }, spec, initial, new TrainingPlan(3, 4, 3, 9, true), sharedMemory);
        assertEquals(params.get(0), params.get(1));
        assertEquals(params.get(0), params.get(2));
        assertTrue(params.get(0).sub(initial.reshape(params.get(0).shape())).amaxNumber().doubleValue() > 0);
    }

    @Test
    void shouldAverageBatchNormRunningStatisticsNotSumThem() throws Exception {
        // Plain SGD: Adam would blow the dense bias's float noise (BN makes its true gradient 0) up to full steps.
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(8).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().nOut(8).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build();
        NetworkSpec spec = NetworkSpec.of(conf);
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        Nd4j.getRandom().setSeed(9);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 5).muli(3).addi(2);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 2);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 2, 1f);
        }
        // Both ranks hold the same 8 rows; one worker holds them twice: batch statistics are equal.
        NetworkAdapter single = NetworkAdapter.create(spec, initial);
        try (WorkerData twice = new InMemoryData(Nd4j.vstack(x, x), Nd4j.vstack(y, y))) {
            new WorkerLoop(single, twice, new TrainingPlan(3, 16, 1, 0, false), new LocalExchange(),
                    ProgressSink.NONE).run();
        }
        List<INDArray> replicas = runRanks(2, rank -> new InMemoryData(x.dup(), y.dup()), spec, initial,
                new TrainingPlan(3, 16, 1, 0, false), false);
        assertEquals(2, single.averagedRanges().size(), "running mean and variance (or log std)");
        for (INDArray p : replicas) {
            double diff = p.sub(single.params().reshape(p.shape())).amaxNumber().doubleValue();
            assertTrue(diff < 1e-4, "batch norm replica differs from one worker by " + diff);
        }
    }

    interface DataForRank {
        WorkerData create(int rank);
    }

    private static List<INDArray> runRanks(int workers, DataForRank data, NetworkSpec spec, INDArray initial,
                                           TrainingPlan plan, boolean sharedMemory) throws Exception {
        InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<INDArray>> futures = new ArrayList<>();
            for (int r = 0; r < workers; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    NetworkAdapter net = NetworkAdapter.create(spec, initial);
                    try (WorkerData local = data.create(rank);
                         GradientExchange exchange = AllreduceExchange.join(rendezvous.forRank(rank), rank, workers,
                                 SECRET, "127.0.0.1", net.params().length() * 4, 30_000, "none", sharedMemory)) {
                        new WorkerLoop(net, local, plan, exchange, ProgressSink.NONE).run();
                    }
                    return net.params().dup();
                }));
            }
            List<INDArray> params = new ArrayList<>();
            for (Future<INDArray> f : futures) {
                params.add(f.get(90, TimeUnit.SECONDS));
            }
            return params;
        } finally {
            pool.shutdownNow();
        }
    }
}
