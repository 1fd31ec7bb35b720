package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code rawPredictionCol} param, the raw prediction column (Vector of log-probabilities); default "rawPrediction". */
public interface HasRawPredictionCol extends Params {

    String RAW_PREDICTION_COL_DOC = "raw prediction column (Vector of log-probabilities)";

    Param<String> rawPredictionCol();

    default String getRawPredictionCol() {
        return getOrDefault(rawPredictionCol());
    }
}
