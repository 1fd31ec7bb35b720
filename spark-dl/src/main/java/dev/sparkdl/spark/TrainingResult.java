package dev.sparkdl.spark;

import java.util.List;

import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.TrainedNetwork;

/** What a fit hands back to the estimator: the trained network and its history. */
public record TrainingResult(TrainedNetwork network, List<EpochRecord> history, int workers) {
}
