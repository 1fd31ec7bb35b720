package dev.sparkdl.ml;

import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.param.Param;
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
 * Trains a DL4J network as a classifier across the executors. The network's output width is the
 * number of classes; labels are class indices 0..k-1. A recurrent network ending in an
 * {@code RnnOutputLayer} (many-to-many, e.g. tagging) takes one class index per time step: the label
 * column is then {@code array<int>} or {@code array<double>} as long as each row's feature sequence
 * (padding steps are masked out of the loss), and the model predicts per step.
 *
 * <pre>{@code
 * DL4JClassificationModel model = new DL4JClassifier()
 *     .setNetwork(conf).setEpochs(5).setBatchSize(128)
 *     .fit(train);
 * }</pre>
 */
public final class DL4JClassifier extends DL4JEstimator<DL4JClassificationModel, DL4JClassifier>
        implements HasProbabilityCol, HasRawPredictionCol {
    private static final long serialVersionUID = 1L;

    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;

    public DL4JClassifier() {
        this(Identifiable$.MODULE$.randomUID("dl4jClassifier"));
    }

    public DL4JClassifier(String uid) {
        super(uid);
        probabilityCol = new Param<>(this, "probabilityCol", PROBABILITY_COL_DOC, Validators.nonBlank());
        rawPredictionCol = new Param<>(this, "rawPredictionCol", RAW_PREDICTION_COL_DOC, Validators.nonBlank());
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "rawPrediction");
    }

    public static MLReader<DL4JClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static DL4JClassifier load(String path) {
        return read().load(path);
    }

    @Override
    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    @Override
    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    public DL4JClassifier setProbabilityCol(String value) {
        set(probabilityCol, value);
        return this;
    }

    public DL4JClassifier setRawPredictionCol(String value) {
        set(rawPredictionCol, value);
        return this;
    }

    @Override
    protected StructType appendOutputs(StructType schema, NetworkSpec spec) {
        return SchemaChecks.appendClassifierOutputs(schema, getRawPredictionCol(), getProbabilityCol(),
                getPredictionCol(), spec.perStepOutput());
    }

    @Override
    protected boolean labelsMayBeVectors() {
        return false;
    }

    @Override
    protected LabelEncoder labelEncoder(StructType schema, NetworkSpec spec, FeatureColumn features) {
        int numClasses = Math.toIntExact(spec.outputWidth());
        if (numClasses < 2) {
            throw new IllegalArgumentException("network: a classifier needs an output layer with one unit per "
                    + "class (at least 2); this network's output width is " + numClasses);
        }
        if (spec.perStepOutput()) {
            return LabelEncoder.stepClassification(getLabelCol(), numClasses, labelSteps(features));
        }
        Attribute attribute = Attribute.fromStructField(schema.apply(getLabelCol()));
        if (attribute instanceof NominalAttribute nominal && nominal.getNumValues().isDefined()) {
            int labelled = (Integer) nominal.getNumValues().get();
            if (labelled != numClasses) {
                throw new IllegalArgumentException("network: its output layer has " + numClasses
                        + " units but column '" + getLabelCol() + "' has " + labelled + " classes");
            }
        }
        return LabelEncoder.classification(schema, getLabelCol(), numClasses);
    }

    @Override
    protected DL4JClassificationModel createModel(String uid, TrainingResult result, int numFeatures,
                                                  LabelEncoder labels) {
        return new DL4JClassificationModel(uid, result.network(), numFeatures, labels.width(), result.history());
    }

    @Override
    public DL4JClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
