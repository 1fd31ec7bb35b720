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
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Records why the ranks of one attempt failed. Spark's job error carries only its most recent task
 * failure, which in a barrier stage is usually a survivor complaining that its peer vanished; the
 * rank that failed FIRST says what actually went wrong. It also tracks the attempt's running tasks: Spark
 * fails the job as soon as one rank fails, while the other ranks are still being interrupted and are
 * releasing their slots, ports and Aeron and Arrow resources.
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
    private final Set<Long> runningTasks = ConcurrentHashMap.newKeySet();

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
    public void onTaskStart(SparkListenerTaskStart event) {
        if (stages.contains(event.stageId())) {
            runningTasks.add(event.taskInfo().taskId());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        runningTasks.remove(event.taskInfo().taskId());
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

    /**
     * Waits until every task this attempt started has ended (its rank has let go of its slot and
     * resources), at most {@code timeoutMs}; call after {@link #firstFailure()}, by which time the
     * listener bus has delivered the task starts that preceded the failure.
     *
     * @return how many tasks were still running at the deadline (0 when all ended).
     */
    int awaitTasksEnded(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!runningTasks.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        return runningTasks.size();
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
