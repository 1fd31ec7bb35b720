package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestData;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.train.EpochRecord;

/**
 * A straggler costs the parameter server less than the allreduce (issue #5). Each step every rank
 * "computes" for {@link #STEP_MS} (an injected sleep, which a loaded machine barely stretches) and one
 * rank at a time, in turns of {@link #TURN_STEPS} steps, twice as long: a transient straggler such as a
 * GC pause or a noisy neighbour. (A rank that is ALWAYS 2x slower bounds both modes alike, since every
 * rank must finish the same steps: bounded staleness absorbs stragglers that move, not a slow machine.)
 *
 * <p>The assertion is not on wall-clock time, which the shared test machine makes noisy, but on a robust
 * proxy measured by the worker loop around each exchange: the time rank 0 spends blocked in it. With
 * allreduce rank 0 waits out every turn of its peer (half the steps, {@code STEP_MS} each); with the
 * parameter server at staleness 4 it runs ahead and hardly waits (a turn leads by at most 2 steps).
 * The expected ratio is about 0.1 to 0.3 (the rest is the parameter server's own round trips); the test
 * asks for below 0.5.
 */
@Timeout(300)
class StragglerTest {
    /**
     * Long enough that the straggler's cost (half the steps wait STEP_MS) dwarfs the parameter server's
     * fixed per-step round trip, a few ms on a quiet machine and 10-15 ms on a loaded one.
     */
    private static final long STEP_MS = 100;
    private static final int TURN_STEPS = 4;
    private static final int STALENESS = 4;

    @AfterEach
    void removeTheDelay() {
        TrainingTask.stepDelayMs = null;
    }

    private static List<EpochRecord> fit(Dataset<Row> data, String mode) {
        return new DL4JClassifier().setNetwork(TestData.mlp(5, 16, 3, 7)).setEpochs(2).setBatchSize(32)
                .setNumWorkers(2).setShuffle(false).setTrainingMode(mode).setStaleness(STALENESS).fit(data)
                .trainingHistory();
    }

    private static double sum(List<EpochRecord> history, java.util.function.ToDoubleFunction<EpochRecord> value) {
        return history.stream().mapToDouble(value).sum();
    }

    @Test
    void shouldSpendLessTimeWaitingForAStragglerThanAllreduce() {
        Dataset<Row> data = TestData.blobs(1280, 5, 3, 23).cache();
        TrainingTask.stepDelayMs = (rank, step) -> step / TURN_STEPS % 2 == rank ? 2 * STEP_MS : STEP_MS;
        List<EpochRecord> allreduce = fit(data, "allreduce");
        List<EpochRecord> ps = fit(data, "parameter-server");
        assertEquals(allreduce.get(1).step(), ps.get(1).step());

        double allreduceBlocked = sum(allreduce, EpochRecord::exchangeSeconds);
        double psBlocked = sum(ps, EpochRecord::exchangeSeconds);
        String figures = String.format("rank 0 blocked %.3f s with allreduce, %.3f s with the parameter server; "
                        + "fit epochs took %.3f s and %.3f s; mean staleness %.2f", allreduceBlocked, psBlocked,
                sum(allreduce, EpochRecord::seconds), sum(ps, EpochRecord::seconds), ps.get(1).staleness());
        System.out.println("straggler: " + figures);
        // Allreduce waits out the peer's turns: at least a quarter of its 40 slow steps' extra time.
        assertTrue(allreduceBlocked > 0.25 * 40 * STEP_MS / 1e3, figures);
        assertTrue(psBlocked < 0.5 * allreduceBlocked, figures);
        // The proxy's other side: rank 0 ran ahead of its peer, so its parameters lagged behind its clock.
        assertTrue(ps.get(1).staleness() > 0 && ps.get(1).staleness() <= STALENESS, figures);
    }
}
