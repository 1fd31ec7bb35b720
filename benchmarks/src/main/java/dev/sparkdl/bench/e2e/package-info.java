/**
 * End-to-end training benchmarks: single-process DL4J against spark-dl on the same data, network,
 * batch and epochs, measured in one run, with the ratios against the best single-process figure.
 * Entry point: {@link dev.sparkdl.bench.e2e.FashionMnistBenchmark} ({@code benchmarks/run.sh}).
 */
package dev.sparkdl.bench.e2e;
