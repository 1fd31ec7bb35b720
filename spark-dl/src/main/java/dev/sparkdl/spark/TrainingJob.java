package dev.sparkdl.spark;

import java.io.Serializable;

import org.apache.spark.sql.types.StructType;

import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainingPlan;

/**
 * Everything a barrier task needs besides its rows (whose columns {@code schema} describes);
 * small, shipped with the task closure.
 */
record TrainingJob(NetworkSpec spec, TrainingPlan plan, StructType schema, FeatureColumn features, LabelEncoder labels,
                   ExchangeSettings exchange, byte[] secret, long gradientBytes, long exchangeTimeoutMs,
                   boolean sharedMemory,
                   int executorCores, int nativeThreads, String progressEndpoint,
                   String progressToken, String validationFlag, CheckpointStore checkpoints,
                   int checkpointInterval) implements Serializable {

    /** ND4J threads for one rank: the param when set, else the executor's cores shared by its ranks. */
    int threadsFor(int ranksOnExecutor) {
        return nativeThreads > 0 ? nativeThreads : dev.sparkdl.train.NativeThreads.perRank(executorCores, ranksOnExecutor);
    }
}
