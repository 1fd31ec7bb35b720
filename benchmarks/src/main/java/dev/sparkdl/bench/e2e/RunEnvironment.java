package dev.sparkdl.bench.e2e;

import java.time.Instant;

/** What a reader needs to judge the figures: the machine, its load, and the settings of the run. */
record RunEnvironment(String startedAt, String cpuModel, int cores, double loadAverageAtStart, String master,
                      int epochs, int batchSize, int trainRows, int testRows, String network, String javaVersion) {

    static RunEnvironment capture(String master, int epochs, int batchSize, int trainRows, int testRows,
                                  String network) {
        return new RunEnvironment(Instant.now().toString(), LoadAverage.cpuModel(),
                Runtime.getRuntime().availableProcessors(), LoadAverage.oneMinute(), master, epochs, batchSize,
                trainRows, testRows, network, System.getProperty("java.version"));
    }
}
