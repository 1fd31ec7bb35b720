package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

import dev.sparkdl.TestData;
import dev.sparkdl.collective.InMemoryRendezvous;
import dev.sparkdl.ps.Dl4jShardUpdater;
import dev.sparkdl.ps.ParameterServer;
import dev.sparkdl.ps.ShardLayout;
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
        }, spec, initial, plan, ParameterServer.Settings.synchronous(), (rank, exchange) -> exchange);

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
        INDArray[] xs = new INDArray[2];
        INDArray[] ys = new INDArray[2];
        clusters(xs, ys);
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
                    initial, plan, settings, (rank, exchange) -> exchange);
            assertArrayEquals(params.get(0).toFloatVector(), params.get(1).toFloatVector(),
                    settings + ": replicas differ after the last (synchronous) step");
            double finalLoss = loss(spec, params.get(0), allX, allY);
            System.out.printf("parameter server %s: loss %.4f -> %.4f%n", settings, initialLoss, finalLoss);
            assertTrue(finalLoss < 0.5 * initialLoss, settings + ": loss " + initialLoss + " -> " + finalLoss);
        }
    }

    /**
     * The stale path is exactly stale-synchronous training, nothing more and nothing less: every pull hands a
     * worker each shard as it stood after one clock within the staleness bound (the clock its staleness
     * reports), the worker changes nothing before its next push, and the final parameters equal a replay that
     * applies, clock by clock, the sum of both workers' recorded raw gradients (each damped by 1 / (1 + its
     * staleness)) with the network's own updater
     * divided by the clock's rows; and each pushed gradient is that of the parameters the worker held, on its
     * batch. One rank is slowed so the other runs ahead to the bound. A gradient sent from a buffer overwritten
     * in flight, a push applied twice or with the wrong batch size, an update applied locally or a pull mixing
     * clocks within a shard breaks the replay.
     */
    @Test
    void shouldApplyExactlyTheStaleSynchronousUpdates() throws Exception {
        int staleness = 2;
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(6, 16, 3, 7));
        INDArray initial = NetworkAdapter.create(spec, null).params().dup();
        INDArray[] xs = new INDArray[2];
        INDArray[] ys = new INDArray[2];
        clusters(xs, ys);
        TrainingPlan plan = new TrainingPlan(3, 24, 10, 1, true);
        Recording[] recordings = new Recording[2];
        List<List<int[]>> batches = List.of(new ArrayList<>(), new ArrayList<>());
        List<INDArray> finals = runRanks(2,
                rank -> WorkerData.beforeEachBatch(new InMemoryData(xs[rank].dup(), ys[rank].dup()),
                        rows -> batches.get(rank).add(rows.clone())),
                spec, initial, plan, new ParameterServer.Settings(staleness, "none", 1e-3, 40),
                (rank, exchange) -> recordings[rank] = new Recording(exchange, rank == 1 ? 5 : 0));

        NetworkAdapter server = NetworkAdapter.create(spec, initial);
        ShardLayout layout = ShardLayout.balanced(initial.length(), Dl4jShardUpdater.boundaries(server.network()), 2);
        // One backprop gives the replica DL4J's gradient view; its values are replaced by each clock's sum.
        server.computeGradient(xs[0].getRows(0), ys[0].getRows(0));
        List<float[]> history = new ArrayList<>();
        history.add(server.params().toFloatVector());
        int clocks = plan.epochs() * plan.stepsPerEpoch();
        for (int c = 0; c < clocks; c++) {
            float[] sum = new float[(int) initial.length()];
            int rows = 0;
            for (Recording recording : recordings) {
                float[] gradient = recording.gradients.get(c);
                // The exchange damps a gradient taken on parameters k clocks stale by 1 / (1 + k).
                float damping = c == 0 ? 1f : (float) (1.0 / (1 + recording.staleness.get(c - 1)));
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += gradient[i] * damping;
                }
                rows += recording.rows.get(c);
            }
            server.flatGradient().assign(Nd4j.createFromArray(sum).reshape(server.flatGradient().shape()));
            server.applyUpdate(rows);
            history.add(server.params().toFloatVector());
            if ((c + 1) % plan.stepsPerEpoch() == 0) {
                server.incrementEpoch();
            }
        }

        long mostStale = 0;
        for (int rank = 0; rank < 2; rank++) {
            Recording recording = recordings[rank];
            for (int t = 0; t < clocks; t++) {
                int[] rows = batches.get(rank).get(t);
                NetworkAdapter replica = NetworkAdapter.create(spec,
                        Nd4j.createFromArray(recording.before.get(t)).reshape(initial.shape()));
                replica.computeGradient(Nd4j.pullRows(xs[rank], 1, rows), Nd4j.pullRows(ys[rank], 1, rows));
                assertArrayEquals(replica.flatGradient().toFloatVector(), recording.gradients.get(t), 1e-5f,
                        "rank " + rank + " pushed at step " + t + " a gradient other than its parameters' on its batch");
                if (t > 0) {
                    assertArrayEquals(recording.pulled.get(t - 1), recording.before.get(t),
                            "rank " + rank + " changed its parameters between the pull of step " + (t - 1) + " and its push");
                }
                long oldest = Long.MAX_VALUE;
                for (int k = 0; k < 2; k++) {
                    int clock = clockHolding(history, recording.pulled.get(t), (int) layout.from(k), (int) layout.to(k),
                            Math.max(0, t + 1 - staleness), t + 1);
                    assertTrue(clock >= 0, "rank " + rank + " pulled shard " + k + " at step " + t
                            + " in a state the server never had within the staleness bound");
                    oldest = Math.min(oldest, clock);
                }
                assertEquals(t + 1 - recording.staleness.get(t), oldest,
                        "rank " + rank + "'s staleness at step " + t + " is not the lag of the oldest shard it pulled");
                mostStale = Math.max(mostStale, recording.staleness.get(t));
            }
        }
        assertTrue(mostStale > 0, "no pull was stale: the test did not exercise the stale path");
        for (INDArray params : finals) {
            assertArrayEquals(history.get(clocks), params.toFloatVector(), 1e-6f,
                    "the final parameters differ from the stale-synchronous replay");
        }
    }

    /**
     * @return the newest clock in [oldest, newest] whose parameters equal {@code pulled} on [from, to)
     *     (within float noise far below one step), or -1
     */
    private static int clockHolding(List<float[]> history, float[] pulled, int from, int to, int oldest, int newest) {
        for (int clock = newest; clock >= oldest; clock--) {
            float[] state = history.get(clock);
            boolean same = true;
            for (int i = from; i < to && same; i++) {
                same = Math.abs(state[i] - pulled[i]) <= 1e-6f;
            }
            if (same) {
                return clock;
            }
        }
        return -1;
    }

    /** Per step: parameters before the push, the pushed raw gradient and rows, parameters pulled, staleness. */
    private static final class Recording implements GradientExchange {
        private final GradientExchange exchange;
        private final long delayMs;
        final List<float[]> before = new ArrayList<>();
        final List<float[]> gradients = new ArrayList<>();
        final List<Integer> rows = new ArrayList<>();
        final List<float[]> pulled = new ArrayList<>();
        final List<Long> staleness = new ArrayList<>();

        Recording(GradientExchange exchange, long delayMs) {
            this.exchange = exchange;
            this.delayMs = delayMs;
        }

        @Override
        public int rank() {
            return exchange.rank();
        }

        @Override
        public int workers() {
            return exchange.workers();
        }

        @Override
        public void step(NetworkAdapter network, double[] stepStats) throws InterruptedException {
            Thread.sleep(delayMs);
            before.add(network.params().toFloatVector());
            gradients.add(network.flatGradient().toFloatVector());
            rows.add((int) stepStats[STAT_ROWS]);
            exchange.step(network, stepStats);
            pulled.add(network.params().toFloatVector());
            staleness.add((long) exchange.staleness());
        }

        @Override
        public void sumStats(double[] stats) throws InterruptedException {
            exchange.sumStats(stats);
        }

        @Override
        public double staleness() {
            return exchange.staleness();
        }

        @Override
        public void close() {
            exchange.close();
        }
    }

    /** Three well separated clusters in 6 dimensions, 120 rows per rank, every label on every rank. */
    private static void clusters(INDArray[] xs, INDArray[] ys) {
        int rowsPerRank = 120;
        Nd4j.getRandom().setSeed(11);
        INDArray centres = Nd4j.randn(DataType.FLOAT, 3, 6).muli(3);
        for (int r = 0; r < xs.length; r++) {
            xs[r] = Nd4j.randn(DataType.FLOAT, rowsPerRank, 6).muli(0.5);
            ys[r] = Nd4j.zeros(DataType.FLOAT, rowsPerRank, 3);
            for (int i = 0; i < rowsPerRank; i++) {
                int label = (i + r) % 3;
                xs[r].getRow(i).addi(centres.getRow(label));
                ys[r].putScalar(i, label, 1f);
            }
        }
    }

    private static double loss(NetworkSpec spec, INDArray params, INDArray x, INDArray y) {
        NetworkAdapter net = NetworkAdapter.create(spec, params);
        return net.computeGradient(x, y);
    }

    interface DataForRank {
        WorkerData create(int rank);
    }

    /** What a rank's worker loop talks to, given the rank's exchange (the exchange itself, or a wrapper). */
    interface ExchangeForRank {
        GradientExchange wrap(int rank, GradientExchange exchange);
    }

    private static List<INDArray> runRanks(int workers, DataForRank data, NetworkSpec spec, INDArray initial,
                                           TrainingPlan plan, ParameterServer.Settings settings,
                                           ExchangeForRank wrapper) throws Exception {
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
                        new WorkerLoop(net, local, plan, wrapper.wrap(rank, exchange), ProgressSink.NONE).run();
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
