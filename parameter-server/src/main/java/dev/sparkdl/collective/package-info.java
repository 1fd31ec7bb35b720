/**
 * Collectives over Aeron: a bandwidth-optimal, deterministic ring allreduce.
 *
 * <p>{@link dev.sparkdl.collective.RingAllreduce} SUMs a buffer in place across N ranks: reduce-scatter
 * then all-gather, chunked and pipelined (a chunk received at step g is forwarded at step g + 1 as soon
 * as it is reduced). Ranks meet through a {@link dev.sparkdl.collective.Rendezvous} (Spark's barrier
 * allGather in production, {@link dev.sparkdl.collective.InMemoryRendezvous} in tests), authenticate
 * their neighbours with the per-fit secret ({@link dev.sparkdl.collective.PeerAuthenticator}) and then
 * exchange CRC32C-checked chunks. Every failure surfaces as a
 * {@link dev.sparkdl.collective.CollectiveException} naming the rank to blame, on every surviving rank,
 * within the configured deadline.
 */
package dev.sparkdl.collective;
