package dev.sparkdl.arrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.arrow.AllocatorTest;
import dev.sparkdl.arrow.MiniBatch;
import dev.sparkdl.arrow.MiniBatches;
import dev.sparkdl.arrow.PartitionData;

/**
 * The representations a real DataFrame hands out (Spark's own external rows, and UnsafeRows from
 * {@code queryExecution().toRdd()}), which hand-built rows cannot prove. One local session for
 * the class: it is the slow part.
 */
class DataFrameRowsTest extends AllocatorTest {
    private static final int ROWS = 50;
    private static SparkSession spark;
    private static Dataset<Row> frame;

    @TempDir
    Path localDir;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder().master("local[1]").appName("arrow-io-test")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate();
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("vec", new VectorUDT(), false),
            DataTypes.createStructField("floats", DataTypes.createArrayType(DataTypes.FloatType, false), false),
            DataTypes.createStructField("doubles", DataTypes.createArrayType(DataTypes.DoubleType), false),
            DataTypes.createStructField("label", DataTypes.DoubleType, false)});
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            rows.add(RowFactory.create(
                i % 2 == 0 ? Vectors.dense(i, 1, 2) : Vectors.sparse(3, new int[] {0}, new double[] {i}),
                new float[] {i, 1, 2}, new double[] {i, 1, 2}, (double) i));
        }
        frame = spark.createDataFrame(rows, schema).repartition(1);
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Sum of all features and of all labels, read back through a spilled, shuffled epoch. */
    private double[] sums(StructType schema, String column, List<Row> external, List<InternalRow> internal) {
        double features = 0;
        double labels = 0;
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features(column).label("label").batchRows(16)
                 .partitionId(0).open(allocator);
             PartitionData data = PartitionData.spill(
                 external != null ? converter.convert(external.iterator()) : converter.convertInternal(internal.iterator()),
                 localDir, allocator, 0);
             MiniBatches epoch = data.epoch(1, 0, 16, true)) {
            assertEquals(ROWS, data.numRows());
            assertEquals(3, data.numFeatures());
            while (epoch.hasNext()) {
                MiniBatch mb = epoch.next();
                INDArray f = mb.features();
                features += f.sumNumber().doubleValue();
                labels += mb.labels().sumNumber().doubleValue();
                // Column 0 carries the label in every row, dense or sparse.
                assertEquals(mb.labels().sumNumber().doubleValue(), f.getColumn(0).sumNumber().doubleValue(), 1e-3);
            }
        }
        return new double[] {features, labels};
    }

    /** Sequences of 1 + i % 3 steps; tags and two targets per step follow the step index. */
    private static Dataset<Row> stepLabelled() {
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("seq", DataTypes.createArrayType(DataTypes.createArrayType(
                DataTypes.FloatType, false), false), false),
            DataTypes.createStructField("tags", DataTypes.createArrayType(DataTypes.IntegerType, false), false),
            DataTypes.createStructField("targets", DataTypes.createArrayType(DataTypes.createArrayType(
                DataTypes.DoubleType, false), false), false)});
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int steps = 1 + i % 3;
            List<float[]> sequence = new ArrayList<>();
            Integer[] tags = new Integer[steps];
            double[][] targets = new double[steps][];
            for (int s = 0; s < steps; s++) {
                sequence.add(new float[] {i, s});
                tags[s] = s % 2;
                targets[s] = new double[] {i, 10 + s};
            }
            rows.add(RowFactory.create(sequence, tags, targets));
        }
        return spark.createDataFrame(rows, schema).repartition(1);
    }

    /** The label rows of {@code frame}'s rows, converted with per-step labels padded to 4 steps. */
    private float[][] stepLabels(Dataset<Row> frame, boolean internal, String label, int valuesPerStep,
                                 int classes) {
        try (RowsToArrow converter = RowsToArrow.forSchema(frame.schema()).features("seq").maxSequenceLength(4)
                 .label(label).stepLabels(4, valuesPerStep).classes(classes).partitionId(0).open(allocator);
             PartitionData data = PartitionData.spill(internal
                     ? converter.convertInternal(frame.queryExecution().toRdd().toJavaRDD().map(InternalRow::copy)
                         .collect().iterator())
                     : converter.convert(frame.collectAsList().iterator()), localDir, allocator, 0);
             MiniBatches epoch = data.epoch(0, 0, 16, false)) {
            assertEquals(4 * valuesPerStep, data.labelWidth());
            return epoch.next().labels().toFloatMatrix();
        }
    }

    @Test
    void shouldWritePerStepLabelsPaddedWithZerosFromBothRowForms() {
        Dataset<Row> frame = stepLabelled();
        for (boolean internal : new boolean[] {false, true}) {
            float[][] tags = stepLabels(frame, internal, "tags", 1, 2);
            float[][] targets = stepLabels(frame, internal, "targets", 2, 0);
            for (int i = 0; i < 6; i++) {
                int steps = 1 + i % 3;
                for (int s = 0; s < 4; s++) {
                    assertEquals(s < steps ? s % 2 : 0, tags[i][s], 0, "row " + i + " step " + s);
                    assertEquals(s < steps ? i : 0, targets[i][2 * s], 0);
                    assertEquals(s < steps ? 10 + s : 0, targets[i][2 * s + 1], 0);
                }
            }
        }
    }

    @Test
    void shouldRejectPerStepLabelsOfAnotherLengthOrClassFromBothRowForms() {
        Dataset<Row> frame = stepLabelled();
        // One step fewer labels than features in every row of 2 or more steps: row 1 is the first.
        Dataset<Row> short1 = frame.withColumn("tags", org.apache.spark.sql.functions.expr("slice(tags, 1, 1)"));
        for (boolean internal : new boolean[] {false, true}) {
            BadRowException e = assertThrows(BadRowException.class, () -> stepLabels(short1, internal, "tags", 1, 2));
            assertEquals("tags", e.column());
            assertEquals(1, e.row());
            assertTrue(e.getMessage().contains("1 time steps of labels, but column 'seq' has 2 steps"), e.getMessage());
            e = assertThrows(BadRowException.class, () -> stepLabels(frame, internal, "tags", 1, 1));
            assertEquals(1, e.row());
            assertTrue(e.getMessage().contains("step 1: label 1.0 is not a class"), e.getMessage());
            e = assertThrows(BadRowException.class, () -> stepLabels(frame, internal, "targets", 3, 0));
            assertTrue(e.getMessage().contains("column 'targets' at row 0 of partition 0: step 0: 2 values, expected 3"),
                e.getMessage());
        }
    }

    @Test
    void shouldConvertEveryColumnTypeFromDataFrameRowsAndInternalRows() {
        double labelSum = ROWS * (ROWS - 1) / 2.0;
        List<Row> external = frame.collectAsList();
        List<InternalRow> internal = frame.queryExecution().toRdd().toJavaRDD().map(InternalRow::copy).collect();
        StructType schema = frame.schema();
        for (String column : List.of("vec", "floats", "doubles")) {
            // Sparse rows hold only the label value; dense rows add 1 + 2.
            double featureSum = column.equals("vec") ? labelSum + 3.0 * (ROWS / 2) : labelSum + 3.0 * ROWS;
            for (double[] sums : List.of(sums(schema, column, external, null), sums(schema, column, null, internal))) {
                assertEquals(featureSum, sums[0], 1e-3, column);
                assertEquals(labelSum, sums[1], 1e-3, column);
            }
        }
    }
}
