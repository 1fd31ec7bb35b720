package dev.sparkdl.ml;

import java.util.List;

import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.spark.OutputLayout;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.TrainedNetwork;

/**
 * A trained DL4J regressor; {@code transform} appends the prediction column: a double per row, or
 * for a many-to-many recurrent network (ending in an {@code RnnOutputLayer}) one element per real
 * time step of the row's sequence: {@code array<double>} for one target per step,
 * {@code array<array<double>>} for several.
 */
public final class DL4JRegressionModel extends DL4JModel<DL4JRegressionModel> {
    private static final long serialVersionUID = 1L;

    public DL4JRegressionModel(String uid, TrainedNetwork trained, int numFeatures, List<EpochRecord> history) {
        super(uid, trained, numFeatures, history);
    }

    public static MLReader<DL4JRegressionModel> read() {
        return new ModelIO.Reader<>(DL4JRegressionModel.class,
                (uid, trained, info) -> new DL4JRegressionModel(uid, trained, info.numFeatures(), info.history()));
    }

    public static DL4JRegressionModel load(String path) {
        return read().load(path);
    }

    @Override
    int outputWidth() {
        return 1;
    }

    @Override
    protected OutputLayout outputLayout() {
        return OutputLayout.REGRESSION;
    }

    @Override
    protected StructType appendOutputs(StructType schema) {
        return SchemaChecks.appendRegressionOutputs(schema, getPredictionCol(),
                perStepOutput() ? Math.toIntExact(trained().spec().outputWidth()) : 0);
    }

    @Override
    public DL4JRegressionModel copy(ParamMap extra) {
        DL4JRegressionModel copy = new DL4JRegressionModel(uid(), trained(), numFeatures(), trainingHistory());
        return copyValues(copy, extra).setParent(parent());
    }
}
