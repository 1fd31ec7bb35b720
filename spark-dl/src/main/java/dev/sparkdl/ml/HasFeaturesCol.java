package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code featuresCol} param; default "features". */
public interface HasFeaturesCol extends Params {

    String FEATURES_COL_DOC = "features column: an ml Vector, array<float> or array<double> of fixed length, "
            + "a sequence array<array<float>> (see maxSequenceLength), or an image column of one size "
            + "(spark.read.format(\"image\"))";

    Param<String> featuresCol();

    default String getFeaturesCol() {
        return getOrDefault(featuresCol());
    }
}
