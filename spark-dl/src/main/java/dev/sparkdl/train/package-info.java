/**
 * The Spark-free core of training: the worker loop that runs on every rank, the network spec and
 * adapters that hide the MultiLayerNetwork / ComputationGraph split, and the {@link
 * dev.sparkdl.train.GradientExchange} strategies the loop sums gradients through.
 */
package dev.sparkdl.train;
