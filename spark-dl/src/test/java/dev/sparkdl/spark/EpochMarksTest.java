package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.TestSpark;

@Timeout(60)
class EpochMarksTest {

    @Test
    void shouldListEveryFinishedEpochInTheSparkUiWithoutTakingASlotOrTheCallersDescription() throws Exception {
        SparkContext sc = TestSpark.session().sparkContext();
        List<String> descriptions = new CopyOnWriteArrayList<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                String description = jobStart.properties().getProperty("spark.job.description");
                if (description != null && description.startsWith(EpochMarks.PREFIX)) {
                    descriptions.add(description + " | stages " + jobStart.stageInfos().size());
                }
            }
        };
        sc.addSparkListener(listener);
        sc.setJobDescription("the user's own description");
        try {
            FitProgress progress = new FitProgress(2, null, new EpochMarks(sc));
            progress.accept(new ProgressEvent(true, 1, 469, 469, 0.52, 60_000, 8.0, 0.5, 0, Double.NaN, Double.NaN));
            progress.accept(ProgressEvent.live(2, 100, 469, 0.45, 12_800, 1.5));
            progress.accept(new ProgressEvent(true, 2, 938, 469, 0.39, 60_000, 7.5, 0.4, 0, Double.NaN, Double.NaN));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (descriptions.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, descriptions.size(), "one UI job per finished epoch, none for live lines: " + descriptions);
            assertTrue(descriptions.get(0).startsWith("spark-dl fit: epoch 1/2  loss 0.5200"), descriptions.get(0));
            assertTrue(descriptions.get(1).startsWith("spark-dl fit: epoch 2/2  loss 0.3900"), descriptions.get(1));
            assertTrue(descriptions.stream().allMatch(d -> d.endsWith(" | stages 0")), "no stage, no task: " + descriptions);
            assertEquals("the user's own description", sc.getLocalProperty("spark.job.description"));
        } finally {
            sc.removeSparkListener(listener);
            sc.setJobDescription(null);
        }
    }
}
