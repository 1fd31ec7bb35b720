package dev.sparkdl.ml;

import java.util.List;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import dev.sparkdl.arrow.spark.FeatureWriters;
import dev.sparkdl.spark.BarrierTrainer;
import dev.sparkdl.spark.DataValidator;
import dev.sparkdl.spark.ExchangeSettings;
import dev.sparkdl.spark.FitOptions;
import dev.sparkdl.spark.FeatureColumn;
import dev.sparkdl.spark.LabelEncoder;
import dev.sparkdl.spark.TrainingResult;
import dev.sparkdl.train.InputLayout;
import dev.sparkdl.train.NetworkKind;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainingPlan;

/**
 * What the classifier and the regressor share: the params, and {@code fit} as a recipe —
 * validate, select, check every row, train in one barrier stage, build the model.
 *
 * @param <M> the model this estimator produces
 * @param <E> the concrete estimator, so chained setters keep their type
 */
public abstract class DL4JEstimator<M extends DL4JModel<M>, E extends DL4JEstimator<M, E>> extends Estimator<M>
        implements HasFeaturesCols, HasLabelCol, HasPredictionCol, HasSequenceParams, TrainingParams, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final Param<String> network;
    private final IntParam epochs;
    private final IntParam batchSize;
    private final IntParam numWorkers;
    private final Param<String> trainingMode;
    private final LongParam seed;
    private final BooleanParam shuffle;
    private final IntParam nativeThreads;
    private final DoubleParam validationFraction;
    private final Param<String> validationCol;
    private final IntParam earlyStoppingPatience;
    private final IntParam staleness;
    private final Param<String> compression;
    private final DoubleParam compressionThreshold;
    private final IntParam compressionTopK;
    private final Param<String> checkpointDir;
    private final IntParam checkpointInterval;
    private final IntParam keepCheckpoints;
    private final IntParam maxAttempts;
    private final IntParam sequenceLength;
    private final StringArrayParam featuresCols;
    private final IntParam maxSequenceLength;

    /** The internal column that marks held-out rows in the data a fit ships to its ranks. */
    static final String VALIDATION_FLAG = "__sparkdl_validation";

    protected DL4JEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", FEATURES_COL_DOC, Validators.nonBlank());
        labelCol = new Param<>(this, "labelCol", LABEL_COL_DOC, Validators.nonBlank());
        predictionCol = new Param<>(this, "predictionCol", PREDICTION_COL_DOC, Validators.nonBlank());
        network = new Param<>(this, "network", "DL4J network configuration as JSON", Validators.nonBlank());
        epochs = new IntParam(this, "epochs", "passes over the training data (>= 1)", Validators.atLeast(1));
        batchSize = new IntParam(this, "batchSize",
                "global minibatch of one synchronous step, split over the workers (>= 1)", Validators.atLeast(1));
        numWorkers = new IntParam(this, "numWorkers",
                "training ranks; 0 means every task slot of the cluster (>= 0)", Validators.atLeast(0));
        trainingMode = new Param<>(this, "trainingMode", "\"allreduce\" or \"parameter-server\"",
                Validators.oneOf("allreduce", "parameter-server"));
        seed = new LongParam(this, "seed", "seed of the per-epoch shuffle");
        shuffle = new BooleanParam(this, "shuffle", "reshuffle rows every epoch");
        nativeThreads = new IntParam(this, "nativeThreads",
                "ND4J/OpenBLAS threads per rank; 0 shares each executor's cores among its ranks (>= 0)",
                Validators.atLeast(0));
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(epochs, 10);
        setDefault(batchSize, 128);
        setDefault(numWorkers, 0);
        setDefault(trainingMode, "allreduce");
        setDefault(seed, 42L);
        setDefault(shuffle, true);
        setDefault(nativeThreads, 0);
        validationFraction = new DoubleParam(this, "validationFraction",
                "fraction of rows held out at random for per-epoch validation, in [0, 1)",
                ParamValidators.inRange(0.0, 1.0, true, false));
        validationCol = new Param<>(this, "validationCol",
                "boolean column marking validation rows (true = held out); empty for none", Validators.notNull());
        earlyStoppingPatience = new IntParam(this, "earlyStoppingPatience",
                "stop after this many epochs without a better validation metric and keep the best parameters; "
                        + "0 = never (>= 0)", Validators.atLeast(0));
        setDefault(validationFraction, 0.0);
        setDefault(validationCol, "");
        setDefault(earlyStoppingPatience, 0);
        staleness = new IntParam(this, "staleness",
                "parameter-server mode: steps a worker may run ahead of the slowest; 0 = synchronous (>= 0)",
                Validators.atLeast(0));
        compression = new Param<>(this, "compression",
                "gradient compression with residual feedback: \"none\", \"fp16\" or \"int8\" (both modes), "
                        + "\"threshold\" or \"topk\" (parameter-server mode)",
                Validators.oneOf("none", "fp16", "int8", "threshold", "topk"));
        compressionThreshold = new DoubleParam(this, "compressionThreshold",
                "threshold of \"threshold\" compression (> 0)", ParamValidators.gt(0.0));
        compressionTopK = new IntParam(this, "compressionTopK",
                "values sent per step by \"topk\" compression (>= 1)", Validators.atLeast(1));
        checkpointDir = new Param<>(this, "checkpointDir",
                "where rank 0 writes checkpoints (any Hadoop path); empty for none", Validators.notNull());
        checkpointInterval = new IntParam(this, "checkpointInterval",
                "steps between checkpoints within an epoch; 0 = at the end of every epoch (>= 0)",
                Validators.atLeast(0));
        keepCheckpoints = new IntParam(this, "keepCheckpoints", "checkpoints kept, newest first (>= 1)",
                Validators.atLeast(1));
        maxAttempts = new IntParam(this, "maxAttempts",
                "barrier stages a fit may run; each retry resumes from the latest checkpoint (>= 1)",
                Validators.atLeast(1));
        setDefault(checkpointDir, "");
        setDefault(checkpointInterval, 0);
        setDefault(keepCheckpoints, 2);
        setDefault(maxAttempts, 3);
        setDefault(staleness, 2);
        setDefault(compression, "none");
        setDefault(compressionThreshold, 1e-3);
        setDefault(compressionTopK, 1000);
        sequenceLength = new IntParam(this, "sequenceLength", SEQUENCE_LENGTH_DOC, Validators.atLeast(0));
        maxSequenceLength = new IntParam(this, "maxSequenceLength", MAX_SEQUENCE_LENGTH_DOC, Validators.atLeast(0));
        setDefault(sequenceLength, 0);
        setDefault(maxSequenceLength, 0);
        featuresCols = new StringArrayParam(this, "featuresCols", FEATURES_COLS_DOC, Validators.distinctNames());
        setDefault(featuresCols, new String[0]);
    }

    @SuppressWarnings("unchecked")
    protected final E self() {
        return (E) this;
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params --------------------------------------------------------------------------------

    @Override
    public Param<String> featuresCol() {
        return featuresCol;
    }

    @Override
    public Param<String> labelCol() {
        return labelCol;
    }

    @Override
    public Param<String> predictionCol() {
        return predictionCol;
    }

    @Override
    public Param<String> network() {
        return network;
    }

    @Override
    public IntParam epochs() {
        return epochs;
    }

    @Override
    public IntParam batchSize() {
        return batchSize;
    }

    @Override
    public IntParam numWorkers() {
        return numWorkers;
    }

    @Override
    public Param<String> trainingMode() {
        return trainingMode;
    }

    @Override
    public LongParam seed() {
        return seed;
    }

    @Override
    public BooleanParam shuffle() {
        return shuffle;
    }

    @Override
    public Param<String> checkpointDir() {
        return checkpointDir;
    }

    @Override
    public IntParam checkpointInterval() {
        return checkpointInterval;
    }

    @Override
    public IntParam keepCheckpoints() {
        return keepCheckpoints;
    }

    @Override
    public IntParam maxAttempts() {
        return maxAttempts;
    }

    @Override
    public IntParam sequenceLength() {
        return sequenceLength;
    }

    @Override
    public StringArrayParam featuresCols() {
        return featuresCols;
    }

    public E setFeaturesCols(String... columns) {
        set(featuresCols, columns);
        return self();
    }

    @Override
    public IntParam maxSequenceLength() {
        return maxSequenceLength;
    }

    public E setSequenceLength(int value) {
        set(sequenceLength, value);
        return self();
    }

    public E setMaxSequenceLength(int value) {
        set(maxSequenceLength, value);
        return self();
    }

    public E setCheckpointDir(String value) {
        set(checkpointDir, value);
        return self();
    }

    public E setCheckpointInterval(int value) {
        set(checkpointInterval, value);
        return self();
    }

    public E setKeepCheckpoints(int value) {
        set(keepCheckpoints, value);
        return self();
    }

    public E setMaxAttempts(int value) {
        set(maxAttempts, value);
        return self();
    }

    @Override
    public IntParam staleness() {
        return staleness;
    }

    @Override
    public Param<String> compression() {
        return compression;
    }

    @Override
    public DoubleParam compressionThreshold() {
        return compressionThreshold;
    }

    @Override
    public IntParam compressionTopK() {
        return compressionTopK;
    }

    public E setStaleness(int value) {
        set(staleness, value);
        return self();
    }

    public E setCompression(String value) {
        set(compression, value);
        return self();
    }

    public E setCompressionThreshold(double value) {
        set(compressionThreshold, value);
        return self();
    }

    public E setCompressionTopK(int value) {
        set(compressionTopK, value);
        return self();
    }

    @Override
    public DoubleParam validationFraction() {
        return validationFraction;
    }

    @Override
    public Param<String> validationCol() {
        return validationCol;
    }

    @Override
    public IntParam earlyStoppingPatience() {
        return earlyStoppingPatience;
    }

    public E setValidationFraction(double value) {
        set(validationFraction, value);
        return self();
    }

    public E setValidationCol(String value) {
        set(validationCol, value);
        return self();
    }

    public E setEarlyStoppingPatience(int value) {
        set(earlyStoppingPatience, value);
        return self();
    }

    @Override
    public IntParam nativeThreads() {
        return nativeThreads;
    }

    public E setNativeThreads(int value) {
        set(nativeThreads, value);
        return self();
    }

    public E setFeaturesCol(String value) {
        set(featuresCol, value);
        return self();
    }

    public E setLabelCol(String value) {
        set(labelCol, value);
        return self();
    }

    public E setPredictionCol(String value) {
        set(predictionCol, value);
        return self();
    }

    public E setNetwork(MultiLayerConfiguration conf) {
        return setNetworkJson(conf.toJson());
    }

    public E setNetwork(ComputationGraphConfiguration conf) {
        return setNetworkJson(conf.toJson());
    }

    public E setNetworkJson(String json) {
        NetworkSpec.fromJson(json);
        set(network, json);
        return self();
    }

    public E setEpochs(int value) {
        set(epochs, value);
        return self();
    }

    public E setBatchSize(int value) {
        set(batchSize, value);
        return self();
    }

    public E setNumWorkers(int value) {
        set(numWorkers, value);
        return self();
    }

    public E setTrainingMode(String value) {
        set(trainingMode, value);
        return self();
    }

    public E setSeed(long value) {
        set(seed, value);
        return self();
    }

    public E setShuffle(boolean value) {
        set(shuffle, value);
        return self();
    }

    // ---- schema and fit ------------------------------------------------------------------------

    @Override
    public StructType transformSchema(StructType schema) {
        SchemaChecks.requireFeatures(schema, inputColumns(), this);
        if (!isDefined(network)) {
            throw new IllegalArgumentException("network: no network configuration was set (use setNetwork)");
        }
        NetworkSpec spec = NetworkSpec.fromJson(getNetwork());
        SchemaChecks.requireLabel(schema, getLabelCol(), spec.perStepOutput(), labelsMayBeVectors());
        exchangeSettings();
        return appendOutputs(schema, spec);
    }

    /** The model's output columns appended to {@code schema}, as {@code spec}'s network predicts them. */
    protected abstract StructType appendOutputs(StructType schema, NetworkSpec spec);

    /** Whether a per-time-step label may hold several targets per step ({@code array<array<double>>}). */
    protected abstract boolean labelsMayBeVectors();

    /**
     * The label encoder for this kind of estimator, after checking it against the network; per-step
     * labels (a network ending in an {@code RnnOutputLayer}) take their steps from {@code features}.
     */
    protected abstract LabelEncoder labelEncoder(StructType schema, NetworkSpec spec, FeatureColumn features);

    /**
     * The padded time steps of per-step labels: those of the features, which must be a sequence
     * (the features mask then masks the labels).
     */
    protected final int labelSteps(FeatureColumn features) {
        if (!(features.layout() instanceof InputLayout.Sequence sequence)) {
            throw new IllegalArgumentException("network: its output layer is an RnnOutputLayer, which predicts at "
                    + "every time step, but the features " + features.columns() + " are not a sequence; give an "
                    + "array<array<float>> column (see maxSequenceLength) or set sequenceLength");
        }
        return sequence.steps();
    }

    protected abstract M createModel(String uid, TrainingResult result, int numFeatures, LabelEncoder labels);

    @Override
    public M fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        NetworkSpec spec = NetworkSpec.fromJson(getNetwork());
        Dataset<Row> selected = selectColumns(dataset);
        boolean validating = List.of(selected.columns()).contains(VALIDATION_FLAG);
        FeatureColumn features = featureColumn(selected, spec);
        LabelEncoder labels = labelEncoder(selected.schema(), spec, features);
        JavaRDD<Row> rows = selected.toJavaRDD();
        DataValidator.Counts counts = DataValidator.validate(rows, selected.schema(), features, labels,
                validating ? selected.schema().fieldIndex(VALIDATION_FLAG) : -1);
        int workers = getNumWorkers() > 0 ? getNumWorkers() : dataset.sparkSession().sparkContext().defaultParallelism();
        TrainingPlan plan = TrainingPlan.forRows(counts.trainingRows(), getEpochs(), getBatchSize(), getSeed(),
                getShuffle(), getEarlyStoppingPatience());
        ExchangeSettings exchange = exchangeSettings();
        TrainingResult result = BarrierTrainer.fit(selected, features, labels, spec, plan,
                new FitOptions(workers, getNativeThreads(), validating ? VALIDATION_FLAG : null, exchange,
                        getCheckpointDir().isEmpty() ? null : getCheckpointDir(), getCheckpointInterval(),
                        getKeepCheckpoints(), getMaxAttempts()));
        M model = copyValues(createModel(uid, result, features.width(), labels), extractParamMap());
        // The model reads rows as training did, also where the data decided (sequence length, widths).
        return model.setMaxSequenceLength(features.maxSequenceLength()).setFeaturesWidths(features.widths())
                .setParent(this);
    }

    /** The exchange's params, checked together (e.g. compression against the training mode). */
    private ExchangeSettings exchangeSettings() {
        return new ExchangeSettings(getTrainingMode(), getStaleness(), getCompression(), getCompressionThreshold(),
                getCompressionTopK());
    }

    /**
     * Features and label, plus a boolean {@value #VALIDATION_FLAG} column that marks held-out rows
     * when {@code validationCol} or {@code validationFraction} asks for validation.
     */
    private Dataset<Row> selectColumns(Dataset<?> dataset) {
        List<Column> columns = new java.util.ArrayList<>();
        for (String column : inputColumns()) {
            columns.add(dataset.col(column));
        }
        columns.add(dataset.col(getLabelCol()));
        if (!getValidationCol().isEmpty()) {
            DataType type = SchemaChecks.require(dataset.schema(), getValidationCol(), "validation");
            if (!type.equals(DataTypes.BooleanType)) {
                throw new IllegalArgumentException("Column '" + getValidationCol() + "' has type " + type.simpleString()
                        + "; validationCol must be boolean (true marks a validation row)");
            }
            columns.add(dataset.col(getValidationCol()).as(VALIDATION_FLAG));
            return dataset.select(columns.toArray(Column[]::new));
        }
        if (getValidationFraction() > 0) {
            columns.add(functions.rand(getSeed()).lt(getValidationFraction()).as(VALIDATION_FLAG));
            return dataset.select(columns.toArray(Column[]::new));
        }
        if (getEarlyStoppingPatience() > 0) {
            throw new IllegalArgumentException("earlyStoppingPatience = " + getEarlyStoppingPatience()
                    + " needs validation rows: set validationFraction or validationCol");
        }
        return dataset.select(columns.toArray(Column[]::new));
    }

    /**
     * The features column as the network reads it: its width from the first row, and for a sequence
     * column the length sequences are padded to; checked against the network's input width.
     */
    private FeatureColumn featureColumn(Dataset<Row> selected, NetworkSpec spec) {
        if (inputColumns().size() > 1) {
            return graphInputs(selected, spec);
        }
        String column = getFeaturesCol();
        List<Row> first = selected.filter(selected.col(column).isNotNull()).limit(1).collectAsList();
        if (first.isEmpty()) {
            throw new IllegalArgumentException(selected.isEmpty()
                    ? "The training DataFrame is empty: there is nothing to fit"
                    : "Column '" + column + "' is null in every row");
        }
        DataType type = selected.schema().apply(column).dataType();
        int maxSteps = FeatureWriters.isSequence(type) ? maxSequenceLength(selected) : 0;
        int width = FeatureWriters.width(selected.schema(), column, first.get(0), 0, maxSteps);
        InputLayout layout = inputLayout(column, type, width, maxSteps);
        long perInput = layout instanceof InputLayout.Sequence sequence ? sequence.stepWidth() : width;
        var networkWidth = spec.inputWidth();
        if (networkWidth.isPresent() && networkWidth.getAsLong() != perInput) {
            throw new IllegalArgumentException("network: its input layer expects " + networkWidth.getAsLong()
                    + " features but column '" + column + "' holds " + perInput + " values per "
                    + (layout == InputLayout.FLAT ? "row" : "time step"));
        }
        return new FeatureColumn(column, width, maxSteps, layout);
    }

    /**
     * {@code featuresCols}: one flat input of the graph per column, in order, each as wide as its first
     * value, which must be the width the graph's input reads where its configuration states one.
     */
    private FeatureColumn graphInputs(Dataset<Row> selected, NetworkSpec spec) {
        List<String> columns = inputColumns();
        List<String> inputs = spec.kind() == NetworkKind.COMPUTATION_GRAPH ? spec.graph().getNetworkInputs()
                : List.of();
        if (inputs.size() != columns.size()) {
            throw new IllegalArgumentException("featuresCols names " + columns.size() + " columns " + columns
                    + " but the network has " + (spec.kind() == NetworkKind.COMPUTATION_GRAPH
                    ? inputs.size() + " inputs " + inputs : "one input (a MultiLayerNetwork)")
                    + "; give one column per ComputationGraph input, in order");
        }
        Column allPresent = functions.lit(true);
        for (String column : columns) {
            allPresent = allPresent.and(selected.col(column).isNotNull());
        }
        List<Row> first = selected.filter(allPresent).limit(1).collectAsList();
        if (first.isEmpty()) {
            throw new IllegalArgumentException(selected.isEmpty()
                    ? "The training DataFrame is empty: there is nothing to fit"
                    : "No row has a value in every one of the featuresCols " + columns);
        }
        int[] widths = new int[columns.size()];
        List<java.util.OptionalLong> expected = spec.inputWidths();
        for (int i = 0; i < widths.length; i++) {
            widths[i] = FeatureWriters.width(selected.schema(), columns.get(i), first.get(0), 0);
            if (expected.get(i).isPresent() && expected.get(i).getAsLong() != widths[i]) {
                throw new IllegalArgumentException("featuresCols: column '" + columns.get(i) + "' holds " + widths[i]
                        + " values per row but the graph's input '" + inputs.get(i) + "' (input " + i + ") expects "
                        + expected.get(i).getAsLong());
            }
        }
        return new FeatureColumn(columns, widths, 0, InputLayout.multiInput(widths));
    }

    /** The param, or when it is 0 the longest sequence of the features column. */
    private int maxSequenceLength(Dataset<Row> selected) {
        if (getMaxSequenceLength() > 0) {
            return getMaxSequenceLength();
        }
        Row longest = selected.agg(functions.max(functions.size(selected.col(getFeaturesCol())))).first();
        return longest.isNullAt(0) ? 1 : Math.max(1, longest.getInt(0));
    }

    // ---- persistence ---------------------------------------------------------------------------

    @Override
    public MLWriter write() {
        return new DefaultParamsWriter(this);
    }

    @Override
    public void save(String path) throws java.io.IOException {
        write().save(path);
    }
}
