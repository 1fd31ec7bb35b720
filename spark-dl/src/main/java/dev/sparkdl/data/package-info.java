/** Readers for public data sets used by the demo, the tests and the benchmarks. */
package dev.sparkdl.data;
