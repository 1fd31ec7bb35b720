package dev.sparkdl.ml;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The {@code labelCol} param, the label column: a class index 0..k-1 for a classifier, a number for a
 * regressor; for a network ending in an RnnOutputLayer, an array with one per time step; default "label".
 */
public interface HasLabelCol extends Params {

    String LABEL_COL_DOC = "label column: a class index 0..k-1 for a classifier, a number for a regressor; "
            + "an array of one per time step for a network ending in an RnnOutputLayer";

    Param<String> labelCol();

    default String getLabelCol() {
        return getOrDefault(labelCol());
    }
}
