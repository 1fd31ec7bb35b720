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
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import dev.sparkdl.TestData;
import dev.sparkdl.collective.InMemoryRendezvous;

/** N ranks with B/N rows each must reproduce one worker with B rows (ARCHITECTURE.md, step 4). */
@Timeout(120)
class AllreduceExchangeTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

    @Test
    void shouldReproduceOneWorkerWithTheGlobalBatch() throws Exception {
        int rows = 48;
        int steps = 4;
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, rows, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 3);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, (i * 7) % 3, 1f);
        }
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(6, 10, 3, 5));
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();

        NetworkAdapter single = NetworkAdapter.create(spec, initial);
        try (WorkerData all = new InMemoryData(x.dup(), y.dup())) {
            new WorkerLoop(single, all, new TrainingPlan(2, 12, steps, 0, false), new LocalExchange(),
                    ProgressSink.NONE).run();
        }

        // Rank r holds, for each step s, global rows 12s + 6r .. 12s + 6r + 5.
        List<INDArray> params = runRanks(2, rank -> {
            int[] mine = new int[24];
            for (int s = 0; s < steps; s++) {
                for (int j = 0; j < 6; j++) {
                    mine[s * 6 + j] = 12 * s + 6 * rank + j;
                }
            }
            return new InMemoryData(Nd4j.pullRows(x, 1, mine), Nd4j.pullRows(y, 1, mine));
        }, spec, initial, new TrainingPlan(2, 12, steps, 0, false));

        for (INDArray p : params) {
            double diff = p.sub(single.params().reshape(p.shape())).amaxNumber().doubleValue();
            assertTrue(diff < 1e-5, "a 2-rank replica differs from the single worker by " + diff);
        }
        assertTrue(single.params().sub(initial.reshape(single.params().shape())).amaxNumber().doubleValue() > 1e-4);
    }

    @Test
    void shouldKeepThreeUnevenRanksBitIdentical() throws Exception {
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
        }, spec, initial, new TrainingPlan(3, 4, 3, 9, true));
        assertEquals(params.get(0), params.get(1));
        assertEquals(params.get(0), params.get(2));
        assertTrue(params.get(0).sub(initial.reshape(params.get(0).shape())).amaxNumber().doubleValue() > 0);
    }

    interface DataForRank {
        WorkerData create(int rank);
    }

    private static List<INDArray> runRanks(int workers, DataForRank data, NetworkSpec spec, INDArray initial,
                                           TrainingPlan plan) throws Exception {
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
                                 SECRET, "127.0.0.1", net.params().length() * 4, 30_000)) {
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
