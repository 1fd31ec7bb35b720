package dev.sparkdl.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.arrow.MiniBatch;

/**
 * The training loop every rank runs, with no Spark in sight. Each step: backprop on this rank's
 * slice of the global minibatch, sum the raw gradient over all ranks, then let DL4J's updater
 * divide by the GLOBAL batch size. N workers with B/N rows each thus reproduce one worker with B.
 */
public final class WorkerLoop {
    private static final int STAT_ROWS = GradientExchange.STAT_ROWS;
    private static final int STAT_LOSS_SUM = GradientExchange.STAT_LOSS_SUM;

    private final NetworkAdapter network;
    private final WorkerData data;
    private final TrainingPlan plan;
    private final GradientExchange exchange;
    private final ProgressSink progress;
    private final Validation validation;
    private final Checkpoint resume;
    private final CheckpointSink checkpoints;
    private final double[] stepStats = new double[2];

    public WorkerLoop(NetworkAdapter network, WorkerData data, TrainingPlan plan, GradientExchange exchange,
                      ProgressSink progress) {
        this(network, data, plan, exchange, progress, null, null, null);
    }

    /**
     * @param validation this rank's held-out rows, or null; with {@code plan.earlyStoppingPatience()}
     *                   above 0 the loop stops after that many epochs without a better validation
     *                   metric and restores the best parameters
     * @param resume      where a previous attempt stood (the network already holds its state), or null
     * @param checkpoints where to save checkpoints, or null; given to every rank (gathering the state may be
     *                    collective), only rank 0 writes
     */
    public WorkerLoop(NetworkAdapter network, WorkerData data, TrainingPlan plan, GradientExchange exchange,
                      ProgressSink progress, Validation validation, Checkpoint resume, CheckpointSink checkpoints) {
        if (plan.earlyStoppingPatience() > 0 && validation == null) {
            throw new IllegalArgumentException("early stopping needs validation rows");
        }
        this.network = network;
        this.data = data;
        this.plan = plan;
        this.exchange = exchange;
        this.progress = progress;
        this.validation = validation;
        this.resume = resume;
        this.checkpoints = checkpoints;
    }

    /** Runs every epoch of the plan and returns the history, identical on every rank. */
    public List<EpochRecord> run() throws InterruptedException {
        List<EpochRecord> history = new ArrayList<>(resume != null ? resume.history() : List.of());
        long step = resume != null ? resume.globalStep() : 0;
        int firstEpoch = resume != null ? resume.epochsDone() : 0;
        double bestMetric = Double.NaN;
        INDArray bestParams = null;
        int epochsWithoutImprovement = 0;
        boolean tracksStaleness = !Double.isNaN(exchange.staleness());
        for (int epoch = firstEpoch; epoch < plan.epochs(); epoch++) {
            int[] order = epochOrder(epoch);
            long startNs = System.nanoTime();
            long exchangeNs = 0;
            double lossSum = 0;
            long samples = 0;
            double stalenessSum = 0;
            int stepsRun = 0;
            // A resumed epoch keeps its row order and skips the steps its checkpoint already holds.
            int firstStep = resume != null && epoch == firstEpoch ? resume.stepInEpoch() : 0;
            for (int s = firstStep; s < plan.stepsPerEpoch(); s++) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("training interrupted at epoch " + epoch + ", step " + step);
                }
                int[] rows = stepRows(order, s);
                localBackprop(rows);
                long exchangeStart = System.nanoTime();
                exchange.step(network, stepStats);
                exchangeNs += System.nanoTime() - exchangeStart;
                int globalRows = (int) stepStats[STAT_ROWS];
                lossSum += stepStats[STAT_LOSS_SUM];
                samples += globalRows;
                if (tracksStaleness) {
                    stalenessSum += exchange.staleness();
                }
                stepsRun++;
                step++;
                if (checkpoints != null && checkpoints.intervalSteps() > 0 && step % checkpoints.intervalSteps() == 0
                        && s + 1 < plan.stepsPerEpoch()) {
                    checkpoint(epoch, s + 1, step, history);
                }
                if (exchange.rank() == 0) {
                    progress.stepFinished(epoch + 1, s + 1, plan.stepsPerEpoch(), samples > 0 ? lossSum / samples : Double.NaN,
                            samples, (System.nanoTime() - startNs) / 1e9);
                }
            }
            network.incrementEpoch();
            double[] validated = validate();
            double staleness = tracksStaleness ? meanOverRanks(stalenessSum, stepsRun) : Double.NaN;
            double seconds = (System.nanoTime() - startNs) / 1e9;
            EpochRecord record = new EpochRecord(epoch + 1, step, samples > 0 ? lossSum / samples : Double.NaN,
                    samples, seconds, exchangeNs / 1e9, validated[0], validated[1], exchange.bytesSent(), staleness);
            history.add(record);
            if (exchange.rank() == 0) {
                progress.epochFinished(record);
            }
            if (checkpoints != null) {
                checkpoint(epoch + 1, 0, step, history);
            }
            if (plan.earlyStoppingPatience() > 0) {
                // Every rank sees the same merged metric, so every rank stops at the same epoch.
                if (Double.isNaN(bestMetric) || improves(validated[1], bestMetric)) {
                    bestMetric = validated[1];
                    bestParams = network.params().dup();
                    epochsWithoutImprovement = 0;
                } else if (++epochsWithoutImprovement >= plan.earlyStoppingPatience()) {
                    break;
                }
            }
        }
        if (bestParams != null) {
            network.params().assign(bestParams);
        }
        return history;
    }

    private void checkpoint(int epochsDone, int stepInEpoch, long step, List<EpochRecord> history)
            throws InterruptedException {
        GradientExchange.TrainingState state = exchange.checkpointState(network);
        if (exchange.rank() == 0) {
            checkpoints.save(epochsDone, stepInEpoch, step, network.iteration(), state, history);
        }
    }

    private double[] validate() throws InterruptedException {
        if (validation == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double[] sums = validation.localSums(network);
        exchange.sumStats(sums);
        return validation.merge(sums);
    }

    /** The mean of a per-step figure over every rank's steps, the same on every rank. */
    private double meanOverRanks(double sum, int steps) throws InterruptedException {
        double[] sums = {sum, steps};
        exchange.sumStats(sums);
        return sums[1] > 0 ? sums[0] / sums[1] : Double.NaN;
    }

    private boolean improves(double metric, double best) {
        return validation.higherIsBetter() ? metric > best : metric < best;
    }

    private void localBackprop(int[] rows) {
        if (rows.length == 0) {
            // A rank with no rows this step still joins the sum with a zero gradient. One backprop on
            // a zero row gives DL4J its gradient structure for the updater; its values are discarded.
            network.computeGradient(Nd4j.zeros(network.params().dataType(), 1, data.featureWidth()),
                    Nd4j.zeros(network.params().dataType(), 1, data.labelWidth()));
            network.flatGradient().assign(0);
            stepStats[STAT_ROWS] = 0;
            stepStats[STAT_LOSS_SUM] = 0;
            return;
        }
        MiniBatch batch = data.batch(rows);
        double loss = network.computeGradient(batch.features(), batch.labels());
        stepStats[STAT_ROWS] = rows.length;
        stepStats[STAT_LOSS_SUM] = loss * rows.length;
    }

    /** This rank's rows of step {@code s}: the epoch's rows split evenly over its steps. */
    private int[] stepRows(int[] order, int s) {
        long n = order.length;
        int from = (int) (s * n / plan.stepsPerEpoch());
        int to = (int) ((s + 1) * n / plan.stepsPerEpoch());
        int[] rows = new int[to - from];
        System.arraycopy(order, from, rows, 0, rows.length);
        return rows;
    }

    private int[] epochOrder(int epoch) {
        int[] order = new int[data.numRows()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (plan.shuffle()) {
            SplittableRandom random = new SplittableRandom(plan.seed() * 1_000_003L + epoch * 7919L + exchange.rank());
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }
}
