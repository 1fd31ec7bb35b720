package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code probabilityCol} param, the class probabilities column (Vector summing to 1); default "probability". */
public interface HasProbabilityCol extends Params {

    String PROBABILITY_COL_DOC = "class probabilities column (Vector summing to 1)";

    Param<String> probabilityCol();

    default String getProbabilityCol() {
        return getOrDefault(probabilityCol());
    }
}
