package dev.sparkdl.spark;

import java.io.Serializable;

import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainingPlan;

/** Everything a barrier task needs besides its rows; small, shipped with the task closure. */
record TrainingJob(NetworkSpec spec, TrainingPlan plan, FeatureReader features, LabelEncoder labels,
                   String trainingMode, byte[] secret, long gradientBytes, long exchangeTimeoutMs) implements Serializable {
}
