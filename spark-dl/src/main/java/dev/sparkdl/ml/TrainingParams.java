package dev.sparkdl.ml;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The params of a distributed fit, shared by both estimators. */
public interface TrainingParams extends Params {

    /** DL4J JSON of a MultiLayerConfiguration or a one-input, one-output ComputationGraphConfiguration. */
    Param<String> network();

    /** Passes over the training data (default 10). */
    IntParam epochs();

    /**
     * The GLOBAL minibatch of one synchronous step (default 128), split evenly over the workers,
     * so learning rates stay valid when the worker count changes.
     */
    IntParam batchSize();

    /** Number of training ranks; 0 (the default) means every task slot of the cluster. */
    IntParam numWorkers();

    /** "allreduce" (synchronous, default) or "parameter-server" (asynchronous). */
    Param<String> trainingMode();

    /** Seed of the per-epoch shuffle; the network's own weight initialisation uses its config's seed. */
    LongParam seed();

    /** Whether rows are reshuffled every epoch (default true). */
    BooleanParam shuffle();

    /**
     * ND4J/OpenBLAS threads per rank; 0 (the default) shares each executor's cores among the ranks
     * it runs, so ranks never oversubscribe the cores.
     */
    IntParam nativeThreads();

    /** Fraction of rows held out at random and scored after every epoch (default 0: none). */
    DoubleParam validationFraction();

    /** A boolean column whose true rows are held out for validation (default "": none). */
    Param<String> validationCol();

    /**
     * Epochs without a better validation metric (accuracy, or RMSE for a regressor) before
     * training stops and the best parameters are kept; 0 (the default) never stops early.
     */
    IntParam earlyStoppingPatience();

    /**
     * Parameter-server mode: how many steps a worker may run ahead of the slowest (default 2);
     * 0 is synchronous.
     */
    IntParam staleness();

    /**
     * Gradient compression with residual feedback (default "none"): "fp16" and "int8" quantize the
     * gradient on the wire in either training mode; "threshold" and "topk" need trainingMode
     * "parameter-server".
     */
    Param<String> compression();

    /** The threshold of "threshold" compression (default 1e-3). */
    DoubleParam compressionThreshold();

    /** Values sent per step by "topk" compression, over the whole gradient (default 1000). */
    IntParam compressionTopK();

    /** Where rank 0 writes checkpoints: any Hadoop FileSystem path (default "": no checkpoints). */
    Param<String> checkpointDir();

    /** Steps between checkpoints within an epoch (default 0: one at the end of every epoch). */
    IntParam checkpointInterval();

    /** Checkpoints kept in checkpointDir, newest first (default 2). */
    IntParam keepCheckpoints();

    /**
     * Barrier stages a fit may run (default 3): after a failure such as a lost executor the fit
     * runs again from the latest checkpoint, or from the start without one.
     */
    IntParam maxAttempts();

    default String getCheckpointDir() {
        return getOrDefault(checkpointDir());
    }

    default int getCheckpointInterval() {
        return (Integer) getOrDefault(checkpointInterval());
    }

    default int getKeepCheckpoints() {
        return (Integer) getOrDefault(keepCheckpoints());
    }

    default int getMaxAttempts() {
        return (Integer) getOrDefault(maxAttempts());
    }

    default int getStaleness() {
        return (Integer) getOrDefault(staleness());
    }

    default String getCompression() {
        return getOrDefault(compression());
    }

    default double getCompressionThreshold() {
        return (Double) getOrDefault(compressionThreshold());
    }

    default int getCompressionTopK() {
        return (Integer) getOrDefault(compressionTopK());
    }

    default double getValidationFraction() {
        return (Double) getOrDefault(validationFraction());
    }

    default String getValidationCol() {
        return getOrDefault(validationCol());
    }

    default int getEarlyStoppingPatience() {
        return (Integer) getOrDefault(earlyStoppingPatience());
    }

    default String getNetwork() {
        return getOrDefault(network());
    }

    default int getEpochs() {
        return (Integer) getOrDefault(epochs());
    }

    default int getBatchSize() {
        return (Integer) getOrDefault(batchSize());
    }

    default int getNumWorkers() {
        return (Integer) getOrDefault(numWorkers());
    }

    default String getTrainingMode() {
        return getOrDefault(trainingMode());
    }

    default long getSeed() {
        return (Long) getOrDefault(seed());
    }

    default int getNativeThreads() {
        return (Integer) getOrDefault(nativeThreads());
    }

    default boolean getShuffle() {
        return (Boolean) getOrDefault(shuffle());
    }
}
