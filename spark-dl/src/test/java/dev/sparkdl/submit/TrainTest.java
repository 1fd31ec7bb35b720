package dev.sparkdl.submit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.sparkdl.TestData;
import dev.sparkdl.TestSpark;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JRegressionModel;

@Timeout(300)
class TrainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final Train train = new Train(new PrintStream(stdout, true, StandardCharsets.UTF_8), System.err);

    private String run(String... args) throws Exception {
        assertEquals(Train.OK, train.run(TestSpark.session(), Train.parse(args)));
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldListEveryFlagUnderHelp() {
        assertNull(Train.parse(new String[] {"--train", "x", "--help"}));
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        Train.usage(new PrintStream(help, true, StandardCharsets.UTF_8));
        String text = help.toString(StandardCharsets.UTF_8);
        for (String flag : List.of("--train", "--test", "--network", "--preset", "--epochs", "--batch-size",
                "--workers", "--mode", "--validation-fraction", "--patience", "--output", "--feature-columns",
                "--checkpoint-dir", "--max-attempts", "--staleness", "--compression")) {
            assertTrue(text.contains(flag), "help lists " + flag);
        }
    }

    @Test
    void shouldRejectBadFlagsWithAClearMessage() {
        assertMessage(new String[] {"--epochs", "3"}, "--train is required");
        assertMessage(new String[] {"--train", "x", "--epochz", "3"}, "unknown argument '--epochz'");
        assertMessage(new String[] {"--train", "x", "--epochs", "three"}, "--epochs must be an integer, not 'three'");
        assertMessage(new String[] {"--train", "x", "--mode", "gossip"}, "--mode must be one of allreduce, parameter-server");
        assertMessage(new String[] {"--train", "x", "--epochs"}, "--epochs needs a value");
        assertMessage(new String[] {"--train", "x", "--learning-rate", "fast"}, "--learning-rate must be a number");
    }

    private static void assertMessage(String[] args, String expected) {
        Train.UsageException e = assertThrows(Train.UsageException.class, () -> Train.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void shouldTrainEvaluateAndSaveFromParquet() throws Exception {
        Dataset<Row> data = TestData.blobs(400, 4, 3, 13);
        String parquet = dir.resolve("train.parquet").toString();
        data.write().parquet(parquet);
        String output = dir.resolve("model").toString();
        String printed = run("--train", parquet, "--test", parquet, "--preset", "mlp", "--hidden", "16",
                "--epochs", "3", "--batch-size", "32", "--workers", "1", "--learning-rate", "0.01", "--output", output);
        assertTrue(printed.contains("epoch 3"), printed);
        double accuracy = Double.parseDouble(printed.replaceAll("(?s).*test accuracy ([0-9.]+).*", "$1"));
        assertTrue(accuracy > 0.9, printed);
        assertEquals(3, DL4JClassificationModel.load(output).numClasses());
    }

    @Test
    void shouldAssembleCsvColumnsForARegression() throws Exception {
        Random random = new Random(2);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            double a = random.nextDouble();
            double b = random.nextDouble();
            rows.add(RowFactory.create(a, b, 2 * a - b));
        }
        StructType schema = new StructType().add("a", DataTypes.DoubleType).add("b", DataTypes.DoubleType)
                .add("y", DataTypes.DoubleType);
        String csv = dir.resolve("data.csv").toString();
        TestSpark.session().createDataFrame(rows, schema).coalesce(1).write().option("header", "true").csv(csv);
        String output = dir.resolve("regression").toString();
        String printed = run("--train", csv, "--format", "csv", "--feature-columns", "a,b", "--label", "y",
                "--task", "regression", "--test", csv, "--epochs", "2", "--workers", "1", "--output", output);
        assertTrue(printed.contains("test rmse"), printed);
        assertEquals(2, DL4JRegressionModel.load(output).numFeatures());
    }
}
