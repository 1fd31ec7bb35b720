package dev.sparkdl.bench.e2e;

import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's process-wide native thread counts (its OpenMP op threads and OpenBLAS threads), captured
 * so a benchmark can change them for one configuration and put them back for the next.
 */
record NativeThreadSetting(int opThreads, int masterThreads, int blasThreads) {

    static NativeThreadSetting current() {
        return new NativeThreadSetting(Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads(),
                Nd4j.factory().blas().getMaxThreads());
    }

    static NativeThreadSetting uniform(int threads) {
        return new NativeThreadSetting(threads, threads, threads);
    }

    void apply() {
        Nd4j.getEnvironment().setMaxThreads(opThreads);
        Nd4j.getEnvironment().setMaxMasterThreads(masterThreads);
        Nd4j.factory().blas().setMaxThreads(blasThreads);
    }
}
