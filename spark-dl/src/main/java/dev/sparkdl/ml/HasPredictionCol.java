package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code predictionCol} param, the prediction column (double); default "prediction". */
public interface HasPredictionCol extends Params {

    String PREDICTION_COL_DOC = "prediction column (double)";

    Param<String> predictionCol();

    default String getPredictionCol() {
        return getOrDefault(predictionCol());
    }
}
