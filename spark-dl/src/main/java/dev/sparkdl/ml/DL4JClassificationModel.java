package dev.sparkdl.ml;

import java.util.List;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.spark.OutputLayout;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.TrainedNetwork;

/**
 * A trained DL4J classifier. {@code transform} appends rawPrediction (log-probabilities),
 * probability and prediction, so MLlib's classification evaluators work on its output.
 *
 * <p>A many-to-many recurrent network (ending in an {@code RnnOutputLayer}) predicts at every time
 * step: the columns are then {@code array<vector>}, {@code array<vector>} and {@code array<double>}
 * with one element per real step of the row's sequence (padding dropped), step order kept.
 * {@code explode} or {@code arrays_zip} them with the label array to evaluate per step.
 */
public final class DL4JClassificationModel extends DL4JModel<DL4JClassificationModel>
        implements HasProbabilityCol, HasRawPredictionCol {
    private static final long serialVersionUID = 1L;

    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;
    private final int numClasses;

    public DL4JClassificationModel(String uid, TrainedNetwork trained, int numFeatures, int numClasses,
                                   List<EpochRecord> history) {
        super(uid, trained, numFeatures, history);
        this.numClasses = numClasses;
        probabilityCol = new Param<>(this, "probabilityCol", PROBABILITY_COL_DOC, Validators.nonBlank());
        rawPredictionCol = new Param<>(this, "rawPredictionCol", RAW_PREDICTION_COL_DOC, Validators.nonBlank());
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "rawPrediction");
    }

    public static MLReader<DL4JClassificationModel> read() {
        return new ModelIO.Reader<>(DL4JClassificationModel.class,
                (uid, trained, info) -> new DL4JClassificationModel(uid, trained, info.numFeatures(),
                        info.outputWidth(), info.history()));
    }

    public static DL4JClassificationModel load(String path) {
        return read().load(path);
    }

    public int numClasses() {
        return numClasses;
    }

    @Override
    int outputWidth() {
        return numClasses;
    }

    @Override
    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    @Override
    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    public DL4JClassificationModel setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    public DL4JClassificationModel setRawPredictionCol(String value) {
        set(rawPredictionCol, value);
        return this;
    }

    @Override
    protected OutputLayout outputLayout() {
        return OutputLayout.CLASSIFICATION;
    }

    @Override
    protected StructType appendOutputs(StructType schema) {
        return SchemaChecks.appendClassifierOutputs(schema, getRawPredictionCol(), getProbabilityCol(),
                getPredictionCol(), perStepOutput());
    }

    @Override
    public DL4JClassificationModel copy(ParamMap extra) {
        DL4JClassificationModel copy = new DL4JClassificationModel(uid(), trained(), numFeatures(), numClasses,
                trainingHistory());
        return copyValues(copy, extra).setParent(parent());
    }
}
