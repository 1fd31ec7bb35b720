package dev.sparkdl.ml;

import java.util.List;

import org.apache.spark.ml.param.StringArrayParam;

/**
 * The {@code featuresCols} param: columns that feed a ComputationGraph's inputs, in order; empty
 * (the default) for the one {@code featuresCol}.
 */
public interface HasFeaturesCols extends HasFeaturesCol {

    String FEATURES_COLS_DOC = "feature columns mapped to the ComputationGraph's inputs in order "
            + "(each a vector, array<float> or array<double>); empty = the one featuresCol";

    StringArrayParam featuresCols();

    default String[] getFeaturesCols() {
        return getOrDefault(featuresCols());
    }

    /** The columns the network reads, in input order. */
    default List<String> inputColumns() {
        String[] columns = getFeaturesCols();
        return columns.length > 0 ? List.of(columns) : List.of(getFeaturesCol());
    }
}
