package dev.sparkdl.train;

import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's native thread counts (its OpenMP ops and OpenBLAS). ND4J does not know about Spark's task
 * slots: two ranks in one executor, each with ND4J's default of one thread per core, oversubscribe
 * the cores and run slower than one. These counts are process-wide, so every rank in an executor
 * sets the same value.
 */
public final class NativeThreads {

    private NativeThreads() {
    }

    /** The threads each rank should use: the executor's cores shared by the ranks on it, at least 1. */
    public static int perRank(int executorCores, int ranksOnExecutor) {
        int cores = executorCores > 0 ? executorCores : Runtime.getRuntime().availableProcessors();
        return Math.max(1, cores / Math.max(1, ranksOnExecutor));
    }

    public static void set(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    public static int current() {
        return Nd4j.getEnvironment().maxThreads();
    }
}
