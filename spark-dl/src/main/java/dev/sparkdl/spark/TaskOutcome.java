package dev.sparkdl.spark;

import java.io.Serializable;
import java.util.List;

import dev.sparkdl.train.EpochRecord;

/** One barrier task's return value; only rank 0 carries the parameters. */
record TaskOutcome(int rank, byte[] params, List<EpochRecord> history) implements Serializable {
}
