package dev.sparkdl.ml;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.spark.FeatureColumn;
import dev.sparkdl.spark.LabelEncoder;
import dev.sparkdl.spark.TrainingResult;
import dev.sparkdl.train.NetworkSpec;

/**
 * Trains a DL4J network with one output unit as a regressor across the executors. A recurrent
 * network ending in an {@code RnnOutputLayer} (many-to-many) regresses at every time step: the label
 * column is then {@code array<double>} (one target per step, nOut 1) or {@code array<array<double>>}
 * (nOut targets per step), as long as each row's feature sequence; padding steps are masked out of
 * the loss, and the model predicts per step.
 */
public final class DL4JRegressor extends DL4JEstimator<DL4JRegressionModel, DL4JRegressor> {
    private static final long serialVersionUID = 1L;

    public DL4JRegressor() {
        this(Identifiable$.MODULE$.randomUID("dl4jRegressor"));
    }

    public DL4JRegressor(String uid) {
        super(uid);
    }

    public static MLReader<DL4JRegressor> read() {
        return new DefaultParamsReader<>();
    }

    public static DL4JRegressor load(String path) {
        return read().load(path);
    }

    @Override
    protected StructType appendOutputs(StructType schema, NetworkSpec spec) {
        return SchemaChecks.appendRegressionOutputs(schema, getPredictionCol(),
                spec.perStepOutput() ? Math.toIntExact(spec.outputWidth()) : 0);
    }

    @Override
    protected boolean labelsMayBeVectors() {
        return true;
    }

    @Override
    protected LabelEncoder labelEncoder(StructType schema, NetworkSpec spec, FeatureColumn features) {
        long width = spec.outputWidth();
        if (spec.perStepOutput()) {
            return LabelEncoder.stepRegression(getLabelCol(), labelSteps(features), Math.toIntExact(width));
        }
        if (width != 1) {
            throw new IllegalArgumentException("network: a regressor predicts one number per row, so its output "
                    + "layer needs 1 unit; this network's output width is " + width);
        }
        return LabelEncoder.regression(schema, getLabelCol());
    }

    @Override
    protected DL4JRegressionModel createModel(String uid, TrainingResult result, int numFeatures,
                                              LabelEncoder labels) {
        return new DL4JRegressionModel(uid, result.network(), numFeatures, result.history());
    }

    @Override
    public DL4JRegressor copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
