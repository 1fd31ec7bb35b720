package dev.sparkdl.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.RDDInfo;

import scala.collection.JavaConverters;

/** Records every ended task of barrier stages: where each rank ran. Register on the driver's context. */
final class BarrierTasks extends SparkListener {
    /** One ended barrier task: stage, stage attempt, partition (the rank), executor, host, success. */
    record Task(int stageId, int stageAttempt, int rank, String executorId, String host, boolean successful,
                String reason, long finishTime) {
    }

    /** One barrier stage attempt: its job group and when it was submitted and completed (ms, 0 = not yet). */
    record Stage(int stageId, String jobGroup, long submitted, long completed) {
    }

    private final Set<Integer> barrierStages = ConcurrentHashMap.newKeySet();
    private final List<Task> tasks = new CopyOnWriteArrayList<>();
    private final java.util.Map<Integer, Stage> stages = new ConcurrentHashMap<>();

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted event) {
        for (RDDInfo rdd : JavaConverters.seqAsJavaList(event.stageInfo().rddInfos())) {
            if (rdd.isBarrier()) {
                barrierStages.add(event.stageInfo().stageId());
                String group = event.properties() == null ? null : event.properties().getProperty("spark.jobGroup.id");
                long submitted = event.stageInfo().submissionTime().isDefined()
                        ? (Long) event.stageInfo().submissionTime().get() : System.currentTimeMillis();
                stages.put(event.stageInfo().stageId(), new Stage(event.stageInfo().stageId(), group, submitted, 0));
            }
        }
    }

    @Override
    public void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted event) {
        stages.computeIfPresent(event.stageInfo().stageId(), (id, stage) -> new Stage(id, stage.jobGroup(),
                stage.submitted(), event.stageInfo().completionTime().isDefined()
                        ? (Long) event.stageInfo().completionTime().get() : System.currentTimeMillis()));
    }

    /** The barrier stages of spark-dl fits (not of probes), in order. */
    List<Stage> fitStages() {
        return stages.values().stream().filter(s -> s.jobGroup() != null && s.jobGroup().startsWith("spark-dl-fit-"))
                .sorted(java.util.Comparator.comparingInt(Stage::stageId)).toList();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        if (barrierStages.contains(event.stageId())) {
            tasks.add(new Task(event.stageId(), event.stageAttemptId(), event.taskInfo().index(),
                    event.taskInfo().executorId(), event.taskInfo().host(), event.taskInfo().successful(),
                    event.reason().toString(), event.taskInfo().finishTime()));
        }
    }

    List<Task> all() {
        return List.copyOf(tasks);
    }

    int size() {
        return tasks.size();
    }

    /** Waits (the listener bus is asynchronous) until the tasks after {@code from} satisfy the predicate. */
    List<Task> await(int from, Predicate<List<Task>> done, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            List<Task> since = List.copyOf(tasks.subList(from, tasks.size()));
            if (done.test(since) || System.nanoTime() > end) {
                return since;
            }
            Thread.sleep(100);
        }
    }
}
