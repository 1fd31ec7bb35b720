package dev.sparkdl.ml;

import java.util.List;

import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.spark.FeatureWriters;

import dev.sparkdl.spark.BatchScorer;
import dev.sparkdl.spark.FeatureColumn;
import dev.sparkdl.spark.OutputLayout;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.InputLayout;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.TrainedNetwork;

/**
 * What both models share: the trained network, its feature width, the training history, and
 * batched scoring that restores the network once per executor JVM.
 */
public abstract class DL4JModel<M extends DL4JModel<M>> extends Model<M>
        implements HasFeaturesCols, HasPredictionCol, HasSequenceParams, MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> featuresCol;
    private final Param<String> predictionCol;
    private final IntParam sequenceLength;
    private final IntParam maxSequenceLength;
    private final StringArrayParam featuresCols;
    private final IntArrayParam featuresWidths;
    private final TrainedNetwork trained;
    private final int numFeatures;
    private final List<EpochRecord> history;
    private transient NetworkAdapter driverNetwork;
    private transient Broadcast<TrainedNetwork> broadcast;
    private transient Boolean perStep;

    protected DL4JModel(String uid, TrainedNetwork trained, int numFeatures, List<EpochRecord> history) {
        this.uid = uid;
        this.trained = trained;
        this.numFeatures = numFeatures;
        this.history = List.copyOf(history);
        featuresCol = new Param<>(this, "featuresCol", FEATURES_COL_DOC, Validators.nonBlank());
        predictionCol = new Param<>(this, "predictionCol", PREDICTION_COL_DOC, Validators.nonBlank());
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        sequenceLength = new IntParam(this, "sequenceLength", SEQUENCE_LENGTH_DOC, Validators.atLeast(0));
        maxSequenceLength = new IntParam(this, "maxSequenceLength", MAX_SEQUENCE_LENGTH_DOC, Validators.atLeast(0));
        setDefault(sequenceLength, 0);
        setDefault(maxSequenceLength, 0);
        featuresCols = new StringArrayParam(this, "featuresCols", FEATURES_COLS_DOC, Validators.distinctNames());
        featuresWidths = new IntArrayParam(this, "featuresWidths",
                "values per row of each features column, in input order, as trained (set by fit)");
        setDefault(featuresCols, new String[0]);
        setDefault(featuresWidths, new int[0]);
    }

    @Override
    public StringArrayParam featuresCols() {
        return featuresCols;
    }

    public IntArrayParam featuresWidths() {
        return featuresWidths;
    }

    @SuppressWarnings("unchecked")
    public M setFeaturesCols(String... columns) {
        set(featuresCols, columns);
        return (M) this;
    }

    @SuppressWarnings("unchecked")
    M setFeaturesWidths(int[] widths) {
        set(featuresWidths, widths);
        return (M) this;
    }

    @Override
    public IntParam sequenceLength() {
        return sequenceLength;
    }

    @Override
    public IntParam maxSequenceLength() {
        return maxSequenceLength;
    }

    @SuppressWarnings("unchecked")
    public M setSequenceLength(int value) {
        set(sequenceLength, value);
        return (M) this;
    }

    @SuppressWarnings("unchecked")
    public M setMaxSequenceLength(int value) {
        set(maxSequenceLength, value);
        return (M) this;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Param<String> featuresCol() {
        return featuresCol;
    }

    @Override
    public Param<String> predictionCol() {
        return predictionCol;
    }

    @SuppressWarnings("unchecked")
    public M setFeaturesCol(String value) {
        set(featuresCol, value);
        return (M) this;
    }

    @SuppressWarnings("unchecked")
    public M setPredictionCol(String value) {
        set(predictionCol, value);
        return (M) this;
    }

    /** The trained DL4J network: a MultiLayerNetwork or a ComputationGraph. */
    public synchronized Object network() {
        if (driverNetwork == null) {
            driverNetwork = trained.restore();
        }
        return driverNetwork.network();
    }

    public int numFeatures() {
        return numFeatures;
    }

    /** One record per epoch of the fit that made this model (empty for models built elsewhere). */
    public List<EpochRecord> trainingHistory() {
        return history;
    }

    /** The history of the fit that made this model, as a DataFrame and a chart. */
    public TrainingSummary summary() {
        return new TrainingSummary(history, outputLayout() == OutputLayout.CLASSIFICATION ? "accuracy" : "rmse");
    }

    TrainedNetwork trained() {
        return trained;
    }

    /**
     * Whether the network predicts at every time step (it ends in an {@code RnnOutputLayer}): the
     * output columns then hold one element per real step of each row's sequence.
     */
    public synchronized boolean perStepOutput() {
        if (perStep == null) {
            perStep = trained.spec().perStepOutput();
        }
        return perStep;
    }

    protected abstract OutputLayout outputLayout();

    @Override
    public StructType transformSchema(StructType schema) {
        SchemaChecks.requireFeatures(schema, inputColumns(), this);
        return appendOutputs(schema);
    }

    protected abstract StructType appendOutputs(StructType schema);

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType output = transformSchema(dataset.schema());
        BatchScorer scorer = new BatchScorer(broadcast(dataset.sparkSession()), dataset.schema(),
                featureColumn(dataset.schema()), outputLayout(), BatchScorer.DEFAULT_BATCH_ROWS);
        return dataset.toDF().mapPartitions(scorer, Encoders.row(output));
    }

    /** The features columns read as the fit read them. */
    private FeatureColumn featureColumn(StructType schema) {
        List<String> columns = inputColumns();
        if (columns.size() > 1) {
            int[] widths = (int[]) getOrDefault(featuresWidths);
            if (widths.length != columns.size()) {
                throw new IllegalArgumentException("featuresWidths: " + widths.length + " widths for featuresCols "
                        + columns + "; the model reads one input per column, as trained");
            }
            return new FeatureColumn(columns, widths, 0, InputLayout.multiInput(widths));
        }
        String column = columns.get(0);
        DataType type = schema.apply(column).dataType();
        int maxSteps = FeatureWriters.isSequence(type) ? getMaxSequenceLength() : 0;
        if (FeatureWriters.isSequence(type) && maxSteps == 0) {
            throw new IllegalArgumentException("maxSequenceLength: column '" + column + "' is a sequence column; "
                    + "set maxSequenceLength to the length the model was trained with");
        }
        return new FeatureColumn(column, numFeatures, maxSteps, inputLayout(column, type, numFeatures, maxSteps));
    }

    /** One broadcast per model, reused by every transform. */
    private synchronized Broadcast<TrainedNetwork> broadcast(SparkSession spark) {
        if (broadcast == null) {
            broadcast = spark.sparkContext().broadcast(trained,
                    scala.reflect.ClassTag$.MODULE$.apply(TrainedNetwork.class));
        }
        return broadcast;
    }

    @Override
    public MLWriter write() {
        return new ModelIO.Writer(this);
    }

    @Override
    public void save(String path) throws java.io.IOException {
        write().save(path);
    }

    /** The width of the model's output (the number of classes for a classifier). */
    abstract int outputWidth();
}
