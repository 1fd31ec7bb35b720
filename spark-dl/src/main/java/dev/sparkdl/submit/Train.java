package dev.sparkdl.submit;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import dev.sparkdl.ml.DL4JEstimator;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.ml.DL4JModel;
import dev.sparkdl.ml.DL4JRegressor;
import dev.sparkdl.train.EpochRecord;

/**
 * The main class of the assembly jar: reads Parquet, CSV or LibSVM, trains a network (DL4J JSON or
 * a preset), evaluates on a test set and saves the model.
 *
 * <pre>
 * spark-submit --class dev.sparkdl.submit.Train spark-dl-assembly.jar \
 *     --train data/train.parquet --test data/test.parquet --preset mlp --epochs 5 --output model/
 * </pre>
 */
public final class Train {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** Every flag: name, argument, default (null = none), help. The parser and --help read this. */
    private static final String[][] FLAGS = {
            {"train", "PATH", null, "training data (required)"},
            {"test", "PATH", null, "test data, evaluated after training"},
            {"format", "parquet|csv|libsvm", null, "data format (default: from the file extension, else parquet)"},
            {"features", "COL", "features", "features column (Vector, array<float> or array<double>)"},
            {"feature-columns", "A,B,..", null, "numeric columns to assemble into the features (e.g. for CSV)"},
            {"label", "COL", "label", "label column"},
            {"task", "classification|regression", "classification", "what to train"},
            {"network", "FILE", null, "DL4J network configuration JSON (MultiLayerConfiguration or ComputationGraph)"},
            {"preset", "mlp|lenet", "mlp", "a named network when --network is not given"},
            {"hidden", "N", "256", "hidden units of the mlp preset"},
            {"image-shape", "H,W,C", null, "image shape of flat features for the lenet preset (default: square, 1 channel)"},
            {"classes", "K", null, "classes for a preset classifier (default: largest label + 1)"},
            {"learning-rate", "R", "0.001", "Adam learning rate of the presets"},
            {"epochs", "N", "10", "passes over the training data"},
            {"batch-size", "N", "128", "GLOBAL minibatch, split over the workers"},
            {"workers", "N", "0", "training ranks (0 = every task slot)"},
            {"mode", "allreduce|parameter-server", "allreduce", "training mode"},
            {"staleness", "N", "2", "parameter-server: steps a worker may run ahead of the slowest"},
            {"compression", "none|fp16|int8|threshold|topk", "none",
                "gradient compression (threshold and topk: parameter-server only)"},
            {"seed", "N", "42", "shuffle seed"},
            {"validation-fraction", "F", "0", "fraction of rows held out for per-epoch validation"},
            {"patience", "N", "0", "early stopping patience in epochs (0 = off)"},
            {"checkpoint-dir", "PATH", null, "checkpoints for resuming (any Hadoop path)"},
            {"checkpoint-interval", "N", "0", "steps between checkpoints (0 = every epoch)"},
            {"max-attempts", "N", "3", "barrier stages to try, resuming from the latest checkpoint"},
            {"output", "PATH", null, "where to save the trained model"},
    };

    private final PrintStream out;
    private final PrintStream err;

    Train(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int status;
        SparkSession spark = null;
        try {
            Map<String, String> options = parse(args);
            if (options == null) {
                usage(System.out);
                System.exit(OK);
            }
            spark = SparkSession.builder().appName("spark-dl Train").getOrCreate();
            status = new Train(System.out, System.err).run(spark, options);
        } catch (UsageException e) {
            System.err.println("spark-dl Train: " + e.getMessage() + " (see --help)");
            status = USAGE;
        } catch (Exception e) {
            System.err.println("spark-dl Train failed: " + e.getMessage());
            e.printStackTrace(System.err);
            status = FAILED;
        } finally {
            if (spark != null) {
                spark.stop();
            }
        }
        // Spark 3.5's barrier mode leaves a non-daemon timer thread in the driver; exit explicitly.
        System.exit(status);
    }

    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The options with defaults filled in, or null for --help. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (String[] flag : FLAGS) {
            if (flag[2] != null) {
                options.put(flag[0], flag[2]);
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            String name = arg.startsWith("--") ? arg.substring(2) : null;
            String value = null;
            if (name != null && name.contains("=")) {
                value = name.substring(name.indexOf('=') + 1);
                name = name.substring(0, name.indexOf('='));
            }
            String flagName = name;
            if (name == null || Arrays.stream(FLAGS).noneMatch(f -> f[0].equals(flagName))) {
                throw new UsageException("unknown argument '" + arg + "'");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            options.put(name, value);
        }
        if (!options.containsKey("train")) {
            throw new UsageException("--train is required");
        }
        oneOf(options, "task", "classification", "regression");
        oneOf(options, "preset", "mlp", "lenet");
        oneOf(options, "mode", "allreduce", "parameter-server");
        oneOf(options, "compression", "none", "fp16", "int8", "threshold", "topk");
        for (String numeric : List.of("hidden", "epochs", "batch-size", "workers", "seed", "patience", "staleness",
                "checkpoint-interval", "max-attempts")) {
            integer(options, numeric);
        }
        for (String real : List.of("learning-rate", "validation-fraction")) {
            try {
                Double.parseDouble(options.get(real));
            } catch (NumberFormatException e) {
                throw new UsageException("--" + real + " must be a number, not '" + options.get(real) + "'");
            }
        }
        return options;
    }

    static void usage(PrintStream out) {
        out.println("usage: spark-submit --class dev.sparkdl.submit.Train spark-dl-assembly.jar --train PATH [options]");
        out.println();
        for (String[] flag : FLAGS) {
            String left = "  --" + flag[0] + " " + flag[1];
            out.printf("%-44s %s%s%n", left, flag[3], flag[2] == null ? "" : " [" + flag[2] + "]");
        }
    }

    int run(SparkSession spark, Map<String, String> options) throws IOException {
        boolean regression = options.get("task").equals("regression");
        Dataset<Row> train = features(read(spark, options.get("train"), options), options);
        Dataset<Row> test = options.containsKey("test")
                ? features(read(spark, options.get("test"), options), options) : null;
        String featuresCol = options.get("feature-columns") != null ? "features" : options.get("features");
        String label = options.get("label");

        DL4JEstimator<?, ?> estimator = regression ? new DL4JRegressor() : new DL4JClassifier();
        estimator.setFeaturesCol(featuresCol).setLabelCol(label)
                .setEpochs(integer(options, "epochs")).setBatchSize(integer(options, "batch-size"))
                .setNumWorkers(integer(options, "workers")).setTrainingMode(options.get("mode"))
                .setSeed(integer(options, "seed"))
                .setValidationFraction(Double.parseDouble(options.get("validation-fraction")))
                .setEarlyStoppingPatience(integer(options, "patience"))
                .setStaleness(integer(options, "staleness")).setCompression(options.get("compression"))
                .setCheckpointInterval(integer(options, "checkpoint-interval"))
                .setMaxAttempts(integer(options, "max-attempts"));
        if (options.containsKey("checkpoint-dir")) {
            estimator.setCheckpointDir(options.get("checkpoint-dir"));
        }
        if (options.containsKey("network")) {
            estimator.setNetworkJson(Files.readString(Path.of(options.get("network")), StandardCharsets.UTF_8));
        } else {
            estimator.setNetwork(preset(train, featuresCol, label, regression, options));
        }

        DL4JModel<?> model = estimator.fit(train);
        for (EpochRecord record : model.trainingHistory()) {
            out.printf("epoch %d  loss %.4f  %,.0f samples/s%s%n", record.epoch(), record.trainLoss(),
                    record.samplesPerSecond(), record.hasValidation()
                            ? String.format("  validation %.4f", record.validationMetric()) : "");
        }
        if (test != null) {
            Dataset<Row> scored = model.transform(test);
            if (regression) {
                out.printf("test rmse %.6f%n", new RegressionEvaluator().setLabelCol(label).setMetricName("rmse")
                        .evaluate(scored));
            } else {
                out.printf("test accuracy %.4f%n", new MulticlassClassificationEvaluator().setLabelCol(label)
                        .setMetricName("accuracy").evaluate(scored));
            }
        }
        if (options.containsKey("output")) {
            model.write().overwrite().save(options.get("output"));
            out.println("model saved to " + options.get("output"));
        }
        return OK;
    }

    private static Dataset<Row> read(SparkSession spark, String path, Map<String, String> options) {
        String format = options.getOrDefault("format", formatOf(path));
        return switch (format) {
            case "parquet" -> spark.read().parquet(path);
            case "csv" -> spark.read().option("header", "true").option("inferSchema", "true").csv(path);
            case "libsvm" -> spark.read().format("libsvm").load(path);
            default -> throw new UsageException("--format must be parquet, csv or libsvm, not '" + format + "'");
        };
    }

    private static String formatOf(String path) {
        String lower = path.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".csv")) {
            return "csv";
        }
        return lower.endsWith(".libsvm") || lower.endsWith(".svm") ? "libsvm" : "parquet";
    }

    /** Assembles --feature-columns into a "features" vector when given. */
    private static Dataset<Row> features(Dataset<Row> data, Map<String, String> options) {
        String columns = options.get("feature-columns");
        if (columns == null) {
            return data;
        }
        return new VectorAssembler().setInputCols(columns.split(",")).setOutputCol("features").transform(data);
    }

    private MultiLayerConfiguration preset(Dataset<Row> train, String featuresCol, String label, boolean regression,
                                           Map<String, String> options) {
        Row first = train.select(featuresCol).first();
        int inputs = dev.sparkdl.arrow.spark.FeatureWriters.width(first.schema(), featuresCol, first, 0);
        int outputs = regression ? 1 : options.containsKey("classes") ? integer(options, "classes")
                : (int) Math.round(((Number) train.agg(functions.max(label)).first().get(0)).doubleValue()) + 1;
        double learningRate = Double.parseDouble(options.get("learning-rate"));
        long seed = integer(options, "seed");
        if (options.get("preset").equals("mlp")) {
            return Presets.mlp(inputs, integer(options, "hidden"), outputs, regression, learningRate, seed);
        }
        int[] shape = imageShape(options.get("image-shape"), inputs);
        return Presets.lenet(shape[0], shape[1], shape[2], outputs, regression, learningRate, seed);
    }

    private static int[] imageShape(String spec, int inputs) {
        if (spec == null) {
            int side = (int) Math.round(Math.sqrt(inputs));
            if (side * side != inputs) {
                throw new UsageException("--preset lenet needs --image-shape H,W,C: " + inputs
                        + " features are not a square image");
            }
            return new int[] {side, side, 1};
        }
        String[] parts = spec.split(",");
        if (parts.length != 3) {
            throw new UsageException("--image-shape must be H,W,C, not '" + spec + "'");
        }
        int[] shape = Arrays.stream(parts).mapToInt(p -> parseInt("image-shape", p.trim())).toArray();
        if (shape[0] * shape[1] * shape[2] != inputs) {
            throw new UsageException("--image-shape " + spec + " holds " + shape[0] * shape[1] * shape[2]
                    + " values but the features have " + inputs);
        }
        return shape;
    }

    private static void oneOf(Map<String, String> options, String name, String... allowed) {
        if (!Arrays.asList(allowed).contains(options.get(name))) {
            throw new UsageException("--" + name + " must be one of " + String.join(", ", allowed) + ", not '"
                    + options.get(name) + "'");
        }
    }

    private static int integer(Map<String, String> options, String name) {
        return parseInt(name, options.get(name));
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, not '" + value + "'");
        }
    }
}
