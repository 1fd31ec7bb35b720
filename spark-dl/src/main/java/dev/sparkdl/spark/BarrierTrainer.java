package dev.sparkdl.spark;

import java.io.Serializable;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.train.Checkpoint;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainedNetwork;
import dev.sparkdl.train.TrainingPlan;

import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

/**
 * Runs one fit as ONE barrier stage that holds all N ranks for every epoch. Gang scheduling means
 * every rank is alive while the others wait on it in an exchange.
 */
public final class BarrierTrainer {
    /**
     * The longest a rank waits on its peers without progress before its task fails (and the fit is
     * retried or fails): a stalled rank is noticed within this time. A Spark conf key, which a driver
     * thread may override for its own fits with {@code sc.setLocalProperty}.
     */
    public static final String EXCHANGE_TIMEOUT_CONF = "spark.sparkdl.exchangeTimeout";
    private static final String DEFAULT_EXCHANGE_TIMEOUT = "120s";
    /** Whether ranks that all run in one JVM sum through its memory rather than Aeron (default true). */
    public static final String SHARED_MEMORY_CONF = "spark.sparkdl.allreduce.sharedMemory";
    /** Spark's job property (SparkContext.SPARK_JOB_INTERRUPT_ON_CANCEL): kills interrupt task threads. */
    static final String INTERRUPT_ON_CANCEL_PROPERTY = "spark.job.interruptOnCancel";
    /** How long a failed attempt waits for its interrupted ranks to end. */
    private static final long RANKS_END_TIMEOUT_MS = 30_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BarrierTrainer.class);

    private BarrierTrainer() {
    }

    /**
     * Runs the fit's barrier stage, and again from the latest checkpoint after a failure, up to
     * {@code options.maxAttempts()} times. Spark itself aborts the job when a barrier ResultStage
     * fails, so the retry has to happen here, as a new job.
     *
     * @param rows the selected feature and label columns (and validation flag), already validated
     */
    public static TrainingResult fit(Dataset<Row> rows, FeatureColumn features, LabelEncoder labels,
                                     NetworkSpec spec, TrainingPlan plan, FitOptions options) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        CheckpointStore store = options.checkpointDir() == null ? null
                : new CheckpointStore(options.checkpointDir(), options.keepCheckpoints(), sc.hadoopConfiguration());
        Dataset<Row> partitioned = rows.repartition(options.workers());
        List<String> failures = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            Checkpoint resume = store == null ? null : store.latest(spec.json());
            if (resume != null) {
                LOG.info("spark-dl fit attempt {}: resuming from the checkpoint after epoch {} + {} steps (step {})",
                        attempt, resume.epochsDone(), resume.stepInEpoch(), resume.globalStep());
            }
            String group = "spark-dl-fit-" + java.util.UUID.randomUUID();
            String previousGroup = sc.getLocalProperty(FailureWatch.GROUP_PROPERTY);
            String previousInterrupt = sc.getLocalProperty(INTERRUPT_ON_CANCEL_PROPERTY);
            FailureWatch watch = new FailureWatch(sc.sc(), group);
            sc.setLocalProperty(FailureWatch.GROUP_PROPERTY, group);
            // When one rank fails Spark kills the others; only an interrupt frees a rank stalled in I/O
            // or a wait, and the retry needs every slot back.
            sc.setLocalProperty(INTERRUPT_ON_CANCEL_PROPERTY, "true");
            try {
                return runStage(sc, partitioned, features, labels, spec, plan, options, store, resume, group,
                        attempt);
            } catch (Exception e) {
                // Spark's SparkException is checked in Java's eyes but thrown undeclared from Scala.
                String first = watch.firstFailure();
                failures.add("attempt " + attempt + ": " + (first != null ? first : firstLine(e)));
                awaitRanksEnded(watch, attempt);
                if (attempt >= options.maxAttempts() || !retryable(e) || (first != null && deterministic(first))) {
                    if (attempt == 1) {
                        throw e;
                    }
                    throw new IllegalStateException("spark-dl fit failed after " + attempt + " attempts ("
                            + String.join("; ", failures) + ")", e);
                }
                LOG.warn("spark-dl fit attempt {} of {} failed ({}); retrying {}", attempt, options.maxAttempts(),
                        failures.get(failures.size() - 1), store != null ? "from the latest checkpoint" : "from the start");
            } finally {
                watch.close();
                sc.setLocalProperty(FailureWatch.GROUP_PROPERTY, previousGroup);
                sc.setLocalProperty(INTERRUPT_ON_CANCEL_PROPERTY, previousInterrupt);
            }
        }
    }

    /**
     * Returns only when the failed attempt's other ranks have ended (interrupted by Spark, they release
     * their slots, ports, Aeron and Arrow resources within moments), so that neither a retry nor the
     * caller's next job competes with them; a rank that does not end within the deadline is logged.
     */
    private static void awaitRanksEnded(FailureWatch watch, int attempt) {
        try {
            int running = watch.awaitTasksEnded(RANKS_END_TIMEOUT_MS);
            if (running > 0) {
                LOG.warn("spark-dl fit attempt {}: {} rank(s) still running {} s after the failure; going on without "
                        + "them", attempt, running, RANKS_END_TIMEOUT_MS / 1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether another attempt can help: not for bad data or a bad network configuration, which fail
     * the same way every time.
     */
    static boolean retryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (deterministic(firstLine(t) + " " + t.getClass().getName())) {
                return false;
            }
        }
        return true;
    }

    /** Whether a failure's text names an exception that the same input raises every time. */
    static boolean deterministic(String failure) {
        for (String kind : List.of("BadRowException", "java.lang.IllegalArgumentException", "IllegalStateException",
                "DL4JInvalidConfigException", "DL4JInvalidInputException", "ND4JIllegalStateException",
                "UnsupportedOperationException")) {
            if (failure.contains(kind)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The gist of a failure without stack frames: Spark puts the failed task's exception, frames and
     * all, into its own message; the first two lines say what happened and which exception did it.
     */
    static String firstLine(Throwable e) {
        List<String> lines = new ArrayList<>();
        for (String line : String.valueOf(e.getMessage()).split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("at ") && !trimmed.startsWith("...")) {
                lines.add(trimmed);
            }
            if (lines.size() == 2) {
                break;
            }
        }
        return String.join(" / ", lines);
    }

    private static TrainingResult runStage(JavaSparkContext sc, Dataset<Row> partitioned, FeatureColumn features,
                                           LabelEncoder labels, NetworkSpec spec, TrainingPlan plan,
                                           FitOptions options, CheckpointStore store, Checkpoint resume,
                                           String fitId, int attempt) {
        int workers = options.workers();
        String trainingMode = options.exchange().trainingMode();
        long exchangeTimeoutMs = exchangeTimeoutMs(sc);
        INDArray startParams = resume != null ? TrainedNetwork.fromBytes(resume.params())
                : NetworkAdapter.create(spec, null).params();
        Broadcast<StartState> start = sc.broadcast(new StartState(TrainedNetwork.of(spec, startParams),
                resume != null ? resume.encode() : null));
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        long gradientBytes = startParams.length() * startParams.dataType().width();
        String progressToken = progressToken(secret);
        FitProgress progress = new FitProgress(plan.epochs(), TrainingMetrics.forContext(sc.sc()),
                new EpochMarks(sc.sc()));
        ProgressServer progressServer = startProgress(sc, progressToken, progress);
        LOG.info("{} attempt {}: {} on {} ranks, exchange timeout {} ms, progress at {}, secret fingerprint {}",
                fitId, attempt, trainingMode, workers, exchangeTimeoutMs,
                progressServer != null ? progressServer.endpoint() : "(none)", fingerprint(secret));
        TrainingJob job = new TrainingJob(spec, plan, partitioned.schema(), features, labels, options.exchange(), secret,
                gradientBytes, exchangeTimeoutMs, sharedMemory(sc), executorCores(sc), options.nativeThreads(),
                progressServer != null ? progressServer.endpoint() : "", progressToken, options.validationFlag(),
                store, options.checkpointInterval());
        String previousDescription = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("spark-dl fit: " + plan.epochs() + " epochs on " + workers + " worker(s), "
                + trainingMode + (resume != null ? ", resumed at epoch " + (resume.epochsDone() + 1) : ""));
        try {
            RDD<TaskOutcome> outcomes = partitioned.rdd().barrier().mapPartitions(
                    taskFunction(job, start), false, ClassTag$.MODULE$.apply(TaskOutcome.class));
            List<TaskOutcome> results = outcomes.toJavaRDD().collect();
            TaskOutcome first = results.stream().filter(o -> o.rank() == 0).findFirst()
                    .orElseThrow(() -> new IllegalStateException("rank 0 returned no parameters"));
            // Synchronous replicas must end identical; a parameter server's may differ after early stopping.
            for (TaskOutcome outcome : results) {
                if (!options.exchange().parameterServer() && outcome.paramsCrc32c() != first.paramsCrc32c()) {
                    throw new IllegalStateException("replicas diverged: rank " + outcome.rank()
                            + " ended with different parameters from rank 0");
                }
            }
            return new TrainingResult(new TrainedNetwork(spec, first.params()), first.history(), workers);
        } finally {
            sc.setJobDescription(previousDescription);
            start.destroy();
            if (progressServer != null) {
                progressServer.close();
            }
        }
    }

    private static ProgressServer startProgress(JavaSparkContext sc, String token, FitProgress progress) {
        String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
        try {
            return ProgressServer.start(host, token, progress);
        } catch (java.io.IOException e) {
            org.slf4j.LoggerFactory.getLogger(BarrierTrainer.class)
                    .warn("no live progress: cannot listen on {} ({})", host, e.toString());
            return null;
        }
    }

    static boolean sharedMemory(JavaSparkContext sc) {
        String value = sc.getLocalProperty(SHARED_MEMORY_CONF);
        value = value != null ? value : sc.getConf().get(SHARED_MEMORY_CONF, "true");
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(SHARED_MEMORY_CONF + " must be true or false, not '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    static long exchangeTimeoutMs(JavaSparkContext sc) {
        String value = sc.getLocalProperty(EXCHANGE_TIMEOUT_CONF);
        if (value == null) {
            value = sc.getConf().get(EXCHANGE_TIMEOUT_CONF, DEFAULT_EXCHANGE_TIMEOUT);
        }
        long ms;
        try {
            ms = org.apache.spark.network.util.JavaUtils.timeStringAsMs(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(EXCHANGE_TIMEOUT_CONF + " must be a duration such as 120s, not '"
                    + value + "'", e);
        }
        if (ms < 1000) {
            throw new IllegalArgumentException(EXCHANGE_TIMEOUT_CONF + " must be at least 1s, got " + ms + " ms");
        }
        return ms;
    }

    /** Derived from the fit's secret, so only this fit's rank 0 can report progress. */
    static String progressToken(byte[] secret) {
        return sha256Hex(secret, "spark-dl progress");
    }

    /** Names the fit's secret in logs (to tell fits apart) without revealing it. */
    static String fingerprint(byte[] secret) {
        return sha256Hex(secret, "spark-dl fingerprint").substring(0, 16);
    }

    private static String sha256Hex(byte[] secret, String domain) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(secret);
            sha.update(domain.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Cores of one executor as Spark sees them; 0 when only the executor itself can tell. */
    static int executorCores(JavaSparkContext sc) {
        var conf = sc.getConf();
        if (conf.contains("spark.executor.cores")) {
            return conf.getInt("spark.executor.cores", 0);
        }
        String master = sc.master();
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)").matcher(master);
        if (local.lookingAt()) {
            return local.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
                    : Integer.parseInt(local.group(1));
        }
        java.util.regex.Matcher cluster = java.util.regex.Pattern.compile("local-cluster\\[\\d+,\\s*(\\d+)")
                .matcher(master);
        if (cluster.lookingAt()) {
            return Integer.parseInt(cluster.group(1));
        }
        return sc.master().equals("local") ? 1 : 0;
    }

    @SuppressWarnings("unchecked")
    private static scala.Function1<scala.collection.Iterator<Row>, scala.collection.Iterator<TaskOutcome>>
            taskFunction(TrainingJob job, Broadcast<StartState> initial) {
        return (scala.Function1<scala.collection.Iterator<Row>, scala.collection.Iterator<TaskOutcome>> & Serializable)
                it -> {
                    Iterator<TaskOutcome> out = runTask(JavaConverters.asJavaIterator(it), job, initial);
                    return JavaConverters.asScalaIterator(out);
                };
    }

    private static Iterator<TaskOutcome> runTask(Iterator<Row> rows, TrainingJob job,
                                                 Broadcast<StartState> initial) {
        try {
            return TrainingTask.run(rows, job, initial);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("spark-dl training task was interrupted", e);
        }
    }
}
