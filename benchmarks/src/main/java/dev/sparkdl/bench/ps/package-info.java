/** Parameter-server benchmarks: push/pull throughput across JVMs, codecs on real gradients, time to accuracy. */
package dev.sparkdl.bench.ps;
