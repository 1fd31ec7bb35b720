package dev.sparkdl.bench.arrow;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.NetworkSpec;
import dev.sparkdl.train.TrainedNetwork;

/**
 * {@code transform} throughput of a spark-dl model (Arrow batches in, Arrow predictions out)
 * against the per-row approach: a UDF that calls {@code network.output} on each row. Same model
 * (a 784-128-10 MLP), same cached DataFrame, same local Spark, measured in one run. The UDF only
 * returns the predicted class while the model also writes rawPrediction and probability, so the
 * ratio understates the batched path if anything. Both are forced with Spark's "noop" sink.
 */
final class TransformBenchmark {
    private static final int HIDDEN = 128;
    private static final int CLASSES = 10;

    private TransformBenchmark() {
    }

    static void run(int rows, int width, java.util.function.ToDoubleFunction<LongSupplier> median) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-dl transform benchmark")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            NetworkSpec spec = NetworkSpec.of(mlp(width));
            TrainedNetwork trained = TrainedNetwork.of(spec, NetworkAdapter.create(spec, null).params());
            DL4JClassificationModel model = new DL4JClassificationModel("transform-bench", trained, width, CLASSES,
                List.of());
            Dataset<Row> data = frame(spark, rows, width).cache();
            data.count();
            UserDefinedFunction perRow = functions.udf(new PerRowPrediction(trained), DataTypes.DoubleType);

            double modelNs = median.applyAsDouble(() -> noop(model.transform(data)));
            double udfNs = median.applyAsDouble(() -> noop(data.withColumn("prediction",
                perRow.apply(functions.col("features")))));
            System.out.printf("RESULT name=transform_arrow_batches ms=%.1f rows_per_s=%.0f%n", modelNs / 1e6,
                rows / (modelNs / 1e9));
            System.out.printf("RESULT name=transform_per_row_udf ms=%.1f rows_per_s=%.0f%n", udfNs / 1e6,
                rows / (udfNs / 1e9));
            System.out.printf("RATIO transform_arrow_vs_per_row_udf=%.2f%n", udfNs / modelNs);
            data.unpersist();
        } finally {
            spark.stop();
        }
    }

    private static long noop(Dataset<Row> scored) {
        scored.write().format("noop").mode("overwrite").save();
        return 1;
    }

    private static Dataset<Row> frame(SparkSession spark, int rows, int width) {
        SplittableRandom random = new SplittableRandom(11);
        List<Row> out = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            float[] values = new float[width];
            for (int c = 0; c < width; c++) {
                values[c] = (float) random.nextDouble();
            }
            out.add(RowFactory.create((Object) values));
        }
        StructType schema = new StructType().add("features",
            DataTypes.createArrayType(DataTypes.FloatType, false), false);
        return spark.createDataFrame(out, schema).repartition(2);
    }

    private static MultiLayerConfiguration mlp(int width) {
        return new NeuralNetConfiguration.Builder().seed(3).list()
            .layer(new DenseLayer.Builder().nIn(width).nOut(HIDDEN).activation(Activation.RELU).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(HIDDEN).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .build();
    }

    /** The baseline: one {@code network.output} per row, a network per thread (DL4J networks are not thread-safe). */
    private static final class PerRowPrediction implements UDF1<scala.collection.Seq<Object>, Double> {
        private static final long serialVersionUID = 1L;
        private final TrainedNetwork trained;
        private transient ThreadLocal<NetworkAdapter> network;

        PerRowPrediction(TrainedNetwork trained) {
            this.trained = trained;
        }

        @Override
        public Double call(scala.collection.Seq<Object> features) {
            if (network == null) {
                network = ThreadLocal.withInitial(trained::restore);
            }
            float[] x = new float[features.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (Float) features.apply(i);
            }
            return (double) network.get().output(Nd4j.create(x, new long[] {1, x.length}, 'c')).argMax(1)
                .getInt(0);
        }
    }
}
