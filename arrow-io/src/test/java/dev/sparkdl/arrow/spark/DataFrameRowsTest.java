package dev.sparkdl.arrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
