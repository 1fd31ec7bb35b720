/**
 * The sharded parameter server with bounded staleness (stale-synchronous parallel).
 *
 * <p>The flattened parameter vector is cut by range into one shard per rank ({@link dev.sparkdl.ps.ShardLayout}),
 * at boundaries where DL4J's updater can be applied piecewise. Every rank runs a {@link dev.sparkdl.ps.ShardServer}
 * for its shard on an agent thread ({@link dev.sparkdl.ps.ShardServerAgent}) and a
 * {@link dev.sparkdl.ps.ShardClient} on the training thread. Each step a worker pushes its gradient for clock c
 * to every owner (encoded by a dev.sparkdl.compress codec with residual feedback), then pulls every shard once
 * the shard has applied at least c + 1 - s clocks. An owner applies clock c's update once all workers pushed
 * it (sum of gradients, sum of rows), so s = 0 is synchronous and reproduces allreduce training.
 *
 * <p>Wire: a full mesh of Aeron publications (IPC within one driver, UDP otherwise), every link opened with
 * an HMAC hello proving the per-fit secret; flyweight messages from dev.sparkdl.codec, each chunk with a
 * CRC32C over header and payload. Malformed, forged or out-of-order frames are counted and dropped.
 */
package dev.sparkdl.ps;
