package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;

/** A rank that stalls is given up on after the exchange timeout, interrupted, and the fit retried. */
@Timeout(300)
class StalledRankTest {
    @TempDir
    Path dir;

    private static JavaSparkContext sc() {
        return JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    }

    @AfterEach
    void reset() {
        TrainingTask.stepFault = null;
        sc().setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, null);
    }

    @Test
    void shouldReadTheExchangeTimeoutFromTheThreadOrTheConfAndRefuseABadOne() {
        JavaSparkContext sc = sc();
        assertEquals(120_000, BarrierTrainer.exchangeTimeoutMs(sc));
        sc.setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, "15s");
        assertEquals(15_000, BarrierTrainer.exchangeTimeoutMs(sc));
        sc.setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, "soon");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> BarrierTrainer.exchangeTimeoutMs(sc));
        assertTrue(bad.getMessage().contains(BarrierTrainer.EXCHANGE_TIMEOUT_CONF) && bad.getMessage().contains("soon"),
                bad.getMessage());
        sc.setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, "10ms");
        assertThrows(IllegalArgumentException.class, () -> BarrierTrainer.exchangeTimeoutMs(sc));
    }

    @Test
    void shouldInterruptAStalledRankAndRetryFromTheLatestCheckpoint() {
        AtomicInteger stalls = new AtomicInteger();
        AtomicBoolean interrupted = new AtomicBoolean();
        TrainingTask.stepFault = (epoch, step) -> {
            if (epoch == 2 && step == 3 && stalls.getAndIncrement() == 0) {
                try {
                    Thread.sleep(600_000); // longer than this test may run: only an interrupt ends it
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    Thread.currentThread().interrupt();
                    throw new UncheckedIOException(new InterruptedIOException("stalled rank interrupted"));
                }
            }
        };
        sc().setLocalProperty(BarrierTrainer.EXCHANGE_TIMEOUT_CONF, "3s");
        DL4JClassificationModel model = new DL4JClassifier().setNetwork(TestData.mlp(4, 8, 3, 5)).setEpochs(3)
                .setBatchSize(16).setNumWorkers(2).setCheckpointDir(dir.toString())
                .fit(TestData.blobs(200, 4, 3, 19));
        assertEquals(3, model.trainingHistory().size());
        assertTrue(stalls.get() > 0, "no rank stalled");
        assertTrue(interrupted.get(), "the stalled rank was never interrupted");
    }
}
