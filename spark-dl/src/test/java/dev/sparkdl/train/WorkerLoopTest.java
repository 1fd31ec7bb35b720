package dev.sparkdl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.TestData;

/** The split step (backprop, exchange, updater with the global batch) must equal DL4J's own fit. */
class WorkerLoopTest {

    private static INDArray[] data(int rows, int width, int classes, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, rows, width);
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, classes);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, i % classes, 1f);
        }
        return new INDArray[] {x, y};
    }

    @Test
    void shouldMatchDl4jFitForAMultiLayerNetwork() throws Exception {
        INDArray[] xy = data(64, 6, 3, 1);
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(6, 10, 3, 17));
        MultiLayerNetwork reference = new MultiLayerNetwork(spec.multiLayer());
        reference.init();
        INDArray initial = reference.params().dup();

        NetworkAdapter ours = NetworkAdapter.create(spec, initial);
        // 4 steps of 16 rows in order, three epochs.
        TrainingPlan plan = new TrainingPlan(3, 16, 4, 0, false);
        try (WorkerData workerData = new InMemoryData(xy[0].dup(), xy[1].dup())) {
            List<EpochRecord> history = new WorkerLoop(ours, workerData, plan, new LocalExchange(), ProgressSink.NONE).run();
            assertEquals(3, history.size());
            assertEquals(12, history.get(2).step());
        }
        for (int epoch = 0; epoch < 3; epoch++) {
            for (int s = 0; s < 4; s++) {
                reference.fit(new DataSet(xy[0].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s * 16, s * 16 + 16)),
                        xy[1].get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s * 16, s * 16 + 16))));
            }
        }
        double maxDiff = Math.abs(reference.params().sub(ours.params().reshape(reference.params().shape()))
                .maxNumber().doubleValue());
        double minDiff = Math.abs(reference.params().sub(ours.params().reshape(reference.params().shape()))
                .minNumber().doubleValue());
        assertTrue(Math.max(maxDiff, minDiff) < 1e-5, "parameters differ by " + Math.max(maxDiff, minDiff));
        assertTrue(reference.params().sub(initial).norm2Number().doubleValue() > 1e-3, "training moved nothing");
    }

    @Test
    void shouldMatchDl4jFitForAComputationGraph() throws Exception {
        INDArray[] xy = data(32, 5, 2, 2);
        NetworkSpec spec = NetworkSpec.of(TestData.graph(5, 8, 2, 9));
        ComputationGraph reference = new ComputationGraph(spec.graph());
        reference.init();
        NetworkAdapter ours = NetworkAdapter.create(spec, reference.params().dup());
        try (WorkerData workerData = new InMemoryData(xy[0].dup(), xy[1].dup())) {
            new WorkerLoop(ours, workerData, new TrainingPlan(2, 32, 1, 0, false), new LocalExchange(),
                    ProgressSink.NONE).run();
        }
        reference.fit(new DataSet(xy[0], xy[1]));
        reference.fit(new DataSet(xy[0], xy[1]));
        double diff = reference.params().sub(ours.params().reshape(reference.params().shape())).norm1Number().doubleValue();
        assertTrue(diff < 1e-4, "L1 parameter difference " + diff);
    }

    @Test
    void shouldGiveEveryRankTheSameNumberOfStepsWithUnevenRows() throws Exception {
        NetworkSpec spec = NetworkSpec.of(TestData.mlp(3, 4, 2, 1));
        INDArray[] xy = data(3, 3, 2, 4);
        NetworkAdapter net = NetworkAdapter.create(spec, null);
        // 3 local rows over 5 steps: two steps have no local rows but must still exchange.
        CountingExchange exchange = new CountingExchange();
        try (WorkerData workerData = new InMemoryData(xy[0], xy[1])) {
            List<EpochRecord> history = new WorkerLoop(net, workerData, new TrainingPlan(2, 4, 5, 3, true), exchange,
                    ProgressSink.NONE).run();
            assertEquals(10, exchange.calls);
            assertEquals(3, history.get(0).samples());
        }
    }

    private static final class CountingExchange implements GradientExchange {
        int calls;

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int workers() {
            return 1;
        }

        @Override
        public void step(NetworkAdapter network, double[] stepStats) {
            calls++;
            if (stepStats[STAT_ROWS] > 0) {
                network.applyUpdate((int) stepStats[STAT_ROWS]);
            }
        }

        @Override
        public void close() {
        }
    }
}
