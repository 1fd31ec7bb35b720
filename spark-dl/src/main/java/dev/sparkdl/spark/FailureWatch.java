package dev.sparkdl.spark;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.spark.ExceptionFailure;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Records why the ranks of one attempt failed. Spark's job error carries only its most recent task
 * failure, which in a barrier stage is usually a survivor complaining that its peer vanished; the
 * rank that failed FIRST says what actually went wrong.
 */
final class FailureWatch extends SparkListener implements AutoCloseable {
    static final String GROUP_PROPERTY = "spark.jobGroup.id";
    private static final long SETTLE_MS = 2_000;

    private record Failure(long finishTime, int rank, String what) {
    }

    private final SparkContext sc;
    private final String group;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();

    FailureWatch(SparkContext sc, String group) {
        this.sc = sc;
        this.group = group;
        sc.addSparkListener(this);
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted event) {
        if (event.properties() != null && group.equals(event.properties().getProperty(GROUP_PROPERTY))) {
            stages.add(event.stageInfo().stageId());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        if (stages.contains(event.stageId()) && event.reason() instanceof ExceptionFailure failure) {
            failures.add(new Failure(event.taskInfo().finishTime(), event.taskInfo().index(),
                    failure.className() + ": " + failure.description()));
        }
    }

    /** "rank r failed first: ..." once the listener bus has delivered the failures, or null. */
    String firstFailure() {
        long deadline = System.currentTimeMillis() + SETTLE_MS;
        // A survivor's "peer gone" can reach the driver before the failure of the rank it names: wait (up to
        // the same deadline) for a failure that is not an echo.
        while (failures.stream().allMatch(f -> f.what().contains("PEER_GONE"))
                && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // A survivor's "peer gone" is an echo; a rank's own failure (or its RANK_FAILED abort) is the cause.
        return failures.stream()
                .min(Comparator.comparing((Failure f) -> f.what().contains("PEER_GONE"))
                        .thenComparingLong(Failure::finishTime))
                .map(f -> "rank " + f.rank() + " failed first: " + f.what()).orElse(null);
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
