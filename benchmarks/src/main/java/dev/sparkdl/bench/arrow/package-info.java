/** The Arrow data path against the per-row path and a memcpy bound, measured in one run. */
package dev.sparkdl.bench.arrow;
