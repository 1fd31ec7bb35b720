package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** The {@code labelCol} param, the label column: a class index 0..k-1 for a classifier, a number for a regressor; default "label". */
public interface HasLabelCol extends Params {

    String LABEL_COL_DOC = "label column: a class index 0..k-1 for a classifier, a number for a regressor";

    Param<String> labelCol();

    default String getLabelCol() {
        return getOrDefault(labelCol());
    }
}
