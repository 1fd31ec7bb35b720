/**
 * Allreduce benchmark: spark-dl's ring allreduce as separate JVMs over UDP loopback, next to Spark's
 * {@code treeAggregate} and the loopback bounds (memory copy, TCP stream), all in one run.
 */
package dev.sparkdl.bench.collective;
