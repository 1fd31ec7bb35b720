package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code featuresCol} param, the an ml Vector, array<float> or array<double> of fixed length; default "features". */
public interface HasFeaturesCol extends Params {

    String FEATURES_COL_DOC = "features column: an ml Vector, array<float> or array<double> of fixed length";

    Param<String> featuresCol();

    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }
}
