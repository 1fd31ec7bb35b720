/**
 * Spark glue: the barrier stage that runs a fit, the per-column readers and validation pass that
 * turn DataFrame rows into feature matrices, and the executor-side cache that scores batches.
 */
package dev.sparkdl.spark;
