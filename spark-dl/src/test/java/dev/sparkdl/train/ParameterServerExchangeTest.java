package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

import dev.sparkdl.TestData;
import dev.sparkdl.collective.InMemoryRendezvous;
import dev.sparkdl.ps.ParameterServer;
import dev.sparkdl.transport.CollectiveContext;

/** The parameter-server exchange with ranks as threads: synchronous parity, staleness and compression still learn. */
@Timeout(200)
class ParameterServerExchangeTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

    @Test
    void shouldReproduceOneWorkerAtZeroStaleness() throws Exception {
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
        TrainingPlan plan = new TrainingPlan(2, 12, steps, 0, false);

        NetworkAdapter single = NetworkAdapter.create(spec, initial);
        try (WorkerData all = new InMemoryData(x.dup(), y.dup())) {
            new WorkerLoop(single, all, plan, new LocalExchange(), ProgressSink.NONE).run();
        }
        List<INDArray> params = runRanks(2, rank -> {
            int[] mine = new int[24];
            for (int s = 0; s < steps; s++) {
                for (int j = 0; j < 6; j++) {
                    mine[s * 6 + j] = 12 * s + 6 * rank + j;
                }
            }
            return new InMemoryData(Nd4j.pullRows(x, 1, mine), Nd4j.pullRows(y, 1, mine));
        }, spec, initial, plan, ParameterServer.Settings.synchronous());

        assertArrayEquals(params.get(0).toFloatVector(), params.get(1).toFloatVector(), "replicas differ");
        for (INDArray p : params) {
            double diff = p.sub(single.params().reshape(p.shape())).amaxNumber().doubleValue();
            assertTrue(diff < 1e-5, "a parameter-server replica differs from the single worker by " + diff);
        }
        assertTrue(single.params().sub(initial.reshape(single.params().shape())).amaxNumber().doubleValue() > 1e-4);
    }

    @Test
    void shouldLearnWithStalenessAndEachCompression() throws Exception {
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(6, 16, 3, 7));
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        int rowsPerRank = 120;
        INDArray[] xs = new INDArray[2];
        INDArray[] ys = new INDArray[2];
        Nd4j.getRandom().setSeed(11);
        INDArray centres = Nd4j.randn(DataType.FLOAT, 3, 6).muli(3);
        for (int r = 0; r < 2; r++) {
            xs[r] = Nd4j.randn(DataType.FLOAT, rowsPerRank, 6).muli(0.5);
            ys[r] = Nd4j.zeros(DataType.FLOAT, rowsPerRank, 3);
            for (int i = 0; i < rowsPerRank; i++) {
                int label = (i + r) % 3;
                xs[r].getRow(i).addi(centres.getRow(label));
                ys[r].putScalar(i, label, 1f);
            }
        }
        INDArray allX = Nd4j.vstack(xs);
        INDArray allY = Nd4j.vstack(ys);
        double initialLoss = loss(spec, initial, allX, allY);
        TrainingPlan plan = new TrainingPlan(6, 24, 10, 1, true);
        Object[][] runs = {
            {4, "none"}, {2, "threshold"}, {2, "int8"}, {2, "topk"}};
        for (Object[] run : runs) {
            ParameterServer.Settings settings = new ParameterServer.Settings((Integer) run[0], (String) run[1],
                    1e-3, 40);
            List<INDArray> params = runRanks(2, rank -> new InMemoryData(xs[rank].dup(), ys[rank].dup()), spec,
                    initial, plan, settings);
            assertArrayEquals(params.get(0).toFloatVector(), params.get(1).toFloatVector(),
                    settings + ": replicas differ after the last (synchronous) step");
            double finalLoss = loss(spec, params.get(0), allX, allY);
            System.out.printf("parameter server %s: loss %.4f -> %.4f%n", settings, initialLoss, finalLoss);
            assertTrue(finalLoss < 0.5 * initialLoss, settings + ": loss " + initialLoss + " -> " + finalLoss);
        }
    }

    private static double loss(NetworkSpec spec, INDArray params, INDArray x, INDArray y) {
        NetworkAdapter net = NetworkAdapter.create(spec, params);
        return net.computeGradient(x, y);
    }

    interface DataForRank {
        WorkerData create(int rank);
    }

    private static List<INDArray> runRanks(int workers, DataForRank data, NetworkSpec spec, INDArray initial,
                                           TrainingPlan plan, ParameterServer.Settings settings) throws Exception {
        InMemoryRendezvous rendezvous = new InMemoryRendezvous(workers, TimeUnit.SECONDS.toNanos(30));
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<INDArray>> futures = new ArrayList<>();
            for (int r = 0; r < workers; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    NetworkAdapter net = NetworkAdapter.create(spec, initial);
                    CollectiveContext context = new CollectiveContext()
                            .maxBufferBytes(64 * 1024)
                            .timeoutNs(TimeUnit.SECONDS.toNanos(30));
                    try (WorkerData local = data.create(rank);
                         ParameterServerExchange exchange = ParameterServerExchange.join(context,
                                 rendezvous.forRank(rank), rank, workers, SECRET, "127.0.0.1", net,
                                 (long) plan.epochs() * plan.stepsPerEpoch(), settings)) {
                        new WorkerLoop(net, local, plan, exchange, ProgressSink.NONE).run();
                    }
                    return net.params().dup();
                }));
            }
            List<INDArray> params = new ArrayList<>();
            for (Future<INDArray> f : futures) {
                params.add(f.get(120, TimeUnit.SECONDS));
            }
            return params;
        } finally {
            pool.shutdownNow();
        }
    }
}
