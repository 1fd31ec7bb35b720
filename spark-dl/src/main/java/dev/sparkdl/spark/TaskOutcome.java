package dev.sparkdl.spark;

import java.io.Serializable;
import java.util.List;

import dev.sparkdl.train.EpochRecord;

/**
 * One barrier task's return value; only rank 0 carries the parameters, every rank their checksum
 * so the driver can prove the replicas stayed identical.
 */
record TaskOutcome(int rank, byte[] params, long paramsCrc32c, List<EpochRecord> history) implements Serializable {
}
