/** A latency-bandwidth model of the ring allreduce, fitted to measured runs and projected to large clusters. */
package dev.sparkdl.bench.scaling;
