package dev.sparkdl.arrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sparkdl.arrow.AllocatorTest;
import dev.sparkdl.arrow.PartitionData;
import dev.sparkdl.arrow.TrainingSchema;
import scala.collection.JavaConverters;

class RowsToArrowTest extends AllocatorTest {
    private static final VectorUDT VECTOR = new VectorUDT();

    private static StructType schema(DataType features, DataType label) {
        return new StructType(new StructField[] {
            DataTypes.createStructField("f", features, true),
            DataTypes.createStructField("y", label, true)});
    }

    /** Every row's features and label of every batch, copied out. */
    private static List<float[]> drain(Iterator<VectorSchemaRoot> batches, List<Float> labels) {
        List<float[]> out = new ArrayList<>();
        while (batches.hasNext()) {
            VectorSchemaRoot batch = batches.next();
            int width = TrainingSchema.width(batch);
            for (int r = 0; r < batch.getRowCount(); r++) {
                float[] row = new float[width];
                for (int c = 0; c < width; c++) {
                    row[c] = TrainingSchema.featureValues(batch).get(r * width + c);
                }
                out.add(row);
                labels.add(TrainingSchema.labelsOrNull(batch).get(r));
            }
        }
        return out;
    }

    private List<float[]> convert(StructType schema, List<Row> rows, List<Float> labels) {
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("f").label("y").batchRows(2)
            .open(allocator)) {
            return drain(converter.convert(rows.iterator()), labels);
        }
    }

    @Test
    void shouldConvertDenseAndSparseVectors() {
        List<Float> labels = new ArrayList<>();
        List<float[]> out = convert(schema(VECTOR, DataTypes.DoubleType), List.of(
            RowFactory.create(Vectors.dense(1, 2, 3), 0.0),
            RowFactory.create(Vectors.sparse(3, new int[] {1}, new double[] {5}), 1.0),
            RowFactory.create(Vectors.dense(-1, 0.5, 9), 2.0)), labels);
        assertEquals(3, out.size());
        assertArrayEquals(new float[] {1, 2, 3}, out.get(0));
        assertArrayEquals(new float[] {0, 5, 0}, out.get(1));
        assertArrayEquals(new float[] {-1, 0.5f, 9}, out.get(2));
        assertEquals(List.of(0f, 1f, 2f), labels);
    }

    @Test
    void shouldConvertFloatArraysGivenAsJavaArraysSeqsAndLists() {
        List<Float> labels = new ArrayList<>();
        List<float[]> out = convert(schema(DataTypes.createArrayType(DataTypes.FloatType), DataTypes.FloatType),
            List.of(RowFactory.create(new float[] {1, 2}, 1f),
                RowFactory.create(JavaConverters.asScalaBuffer(List.of(3f, 4f)).toSeq(), 2f),
                RowFactory.create(List.of(5f, 6f), 3f)), labels);
        assertArrayEquals(new float[] {1, 2}, out.get(0));
        assertArrayEquals(new float[] {3, 4}, out.get(1));
        assertArrayEquals(new float[] {5, 6}, out.get(2));
        assertEquals(List.of(1f, 2f, 3f), labels);
    }

    @Test
    void shouldConvertDoubleArraysWithIntegerLabels() {
        List<Float> labels = new ArrayList<>();
        List<float[]> out = convert(schema(DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.IntegerType),
            List.of(RowFactory.create(new double[] {0.25, -8}, 4), RowFactory.create(new Double[] {1.0, 2.0}, 7)),
            labels);
        assertArrayEquals(new float[] {0.25f, -8}, out.get(0));
        assertArrayEquals(new float[] {1, 2}, out.get(1));
        assertEquals(List.of(4f, 7f), labels);
    }

    @Test
    void shouldConvertInternalRowsOfEveryFeatureType() {
        List<InternalRow> vectors = List.of(
            (InternalRow) VECTOR.serialize(Vectors.dense(1, 2, 3)),
            (InternalRow) VECTOR.serialize(Vectors.sparse(3, new int[] {0, 2}, new double[] {7, 8})));
        List<InternalRow> rows = List.of(new GenericInternalRow(new Object[] {vectors.get(0), 1.0}),
            new GenericInternalRow(new Object[] {vectors.get(1), 2.0}));
        assertInternal(schema(VECTOR, DataTypes.DoubleType), rows, new float[][] {{1, 2, 3}, {7, 0, 8}});

        rows = List.of(new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(new float[] {1, 2, 3}), 1.0}));
        assertInternal(schema(DataTypes.createArrayType(DataTypes.FloatType, false), DataTypes.DoubleType), rows,
            new float[][] {{1, 2, 3}});

        rows = List.of(new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(new double[] {4, 5, 6}), 1.0}));
        assertInternal(schema(DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.DoubleType), rows,
            new float[][] {{4, 5, 6}});
    }

    private void assertInternal(StructType schema, List<InternalRow> rows, float[][] expected) {
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("f").label("y").open(allocator)) {
            List<float[]> out = drain(converter.convertInternal(rows.iterator()), new ArrayList<>());
            assertEquals(expected.length, out.size());
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], out.get(i));
            }
        }
    }

    @Test
    void shouldCutBatchesOfBatchRowsAndWriteOneContiguousMatrix() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            rows.add(RowFactory.create(new float[] {i, i + 0.5f}, (double) i));
        }
        try (RowsToArrow converter = RowsToArrow.forSchema(schema(DataTypes.createArrayType(DataTypes.FloatType),
            DataTypes.DoubleType)).features("f").label("y").batchRows(3).open(allocator)) {
            Iterator<VectorSchemaRoot> batches = converter.convert(rows.iterator());
            List<Integer> sizes = new ArrayList<>();
            while (batches.hasNext()) {
                VectorSchemaRoot batch = batches.next();
                sizes.add(batch.getRowCount());
                var data = TrainingSchema.featureValues(batch).getDataBuffer();
                int first = (int) TrainingSchema.labelsOrNull(batch).get(0);
                // Row r, column c of the batch is float r*width+c of one buffer.
                assertEquals(first + 0.5f, data.getFloat(Float.BYTES));
                assertEquals(first + batch.getRowCount() - 1, data.getFloat((batch.getRowCount() - 1) * 2L * Float.BYTES));
            }
            assertEquals(List.of(3, 3, 1), sizes);
            assertEquals(2, converter.width());
            assertEquals(7, converter.rowsSeen());
        }
    }

    @Test
    void shouldConvertInferenceInputWithoutLabel() {
        try (RowsToArrow converter = RowsToArrow.forSchema(schema(VECTOR, DataTypes.DoubleType)).features("f")
            .open(allocator)) {
            VectorSchemaRoot batch = converter.convert(List.of(RowFactory.create(Vectors.dense(1, 2), null)).iterator())
                .next();
            assertEquals(1, batch.getRowCount());
            assertEquals(null, TrainingSchema.labelsOrNull(batch));
        }
    }

    @Test
    void shouldRejectAnUnsupportedColumnTypeBeforeAnyRow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> RowsToArrow.forSchema(schema(DataTypes.StringType, DataTypes.DoubleType)).features("f").label("y")
                .open(allocator));
        assertTrue(e.getMessage().contains("'f'") && e.getMessage().contains("string"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> RowsToArrow.forSchema(schema(VECTOR, DataTypes.StringType)).features("f").label("y").open(allocator));
        assertThrows(IllegalArgumentException.class,
            () -> RowsToArrow.forSchema(schema(VECTOR, DataTypes.DoubleType)).features("nope").open(allocator));
    }

    private BadRowException badRow(StructType schema, List<Row> rows, int width) {
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("f").label("y").batchRows(2).width(width)
            .partitionId(5).open(allocator)) {
            Iterator<VectorSchemaRoot> batches = converter.convert(rows.iterator());
            BadRowException e = assertThrows(BadRowException.class, () -> {
                while (batches.hasNext()) {
                    batches.next();
                }
            });
            // The batch is freed when the conversion fails, before close.
            assertEquals(0, allocator.getAllocatedMemory());
            assertFalse(batches.hasNext());
            return e;
        }
    }

    @Test
    void shouldNameColumnRowAndPartitionOfANullFeature() {
        BadRowException e = badRow(schema(VECTOR, DataTypes.DoubleType), List.of(
            RowFactory.create(Vectors.dense(1, 2), 0.0), RowFactory.create(Vectors.dense(1, 2), 0.0),
            RowFactory.create(null, 0.0)), 0);
        assertEquals("f", e.column());
        assertEquals(2, e.row());
        assertEquals(5, e.partition());
        assertTrue(e.getMessage().contains("'f' at row 2 of partition 5: null"), e.getMessage());
    }

    @Test
    void shouldNameTheRowOfAWrongLength() {
        BadRowException e = badRow(schema(DataTypes.createArrayType(DataTypes.FloatType), DataTypes.DoubleType),
            List.of(RowFactory.create(new float[] {1, 2}, 0.0), RowFactory.create(new float[] {1, 2, 3}, 0.0)), 0);
        assertEquals(1, e.row());
        assertTrue(e.getMessage().contains("length 3, expected 2"), e.getMessage());

        e = badRow(schema(VECTOR, DataTypes.DoubleType), List.of(RowFactory.create(Vectors.dense(1, 2), 0.0)), 3);
        assertEquals(0, e.row());
        assertTrue(e.getMessage().contains("length 2, expected 3"), e.getMessage());
    }

    @Test
    void shouldNameTheIndexOfANonFiniteFeature() {
        BadRowException e = badRow(schema(DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.DoubleType),
            List.of(RowFactory.create(new double[] {1, 2}, 0.0), RowFactory.create(new double[] {1, 2}, 0.0),
                RowFactory.create(new double[] {1, 2}, 0.0), RowFactory.create(new double[] {Double.NaN, 2}, 0.0)), 0);
        assertEquals(3, e.row());
        assertTrue(e.getMessage().contains("NaN at index 0"), e.getMessage());

        e = badRow(schema(DataTypes.createArrayType(DataTypes.FloatType), DataTypes.DoubleType),
            List.of(RowFactory.create(new float[] {1, Float.POSITIVE_INFINITY}, 0.0)), 0);
        assertTrue(e.getMessage().contains("infinite value Infinity at index 1"), e.getMessage());

        e = badRow(schema(DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.DoubleType),
            List.of(RowFactory.create(new double[] {1e300}, 0.0)), 0);
        assertTrue(e.getMessage().contains("overflows a float"), e.getMessage());
    }

    @Test
    void shouldNameTheLabelColumnForABadLabel() {
        BadRowException e = badRow(schema(VECTOR, DataTypes.DoubleType),
            List.of(RowFactory.create(Vectors.dense(1), 1.0), RowFactory.create(Vectors.dense(1), null)), 0);
        assertEquals("y", e.column());
        assertEquals(1, e.row());

        e = badRow(schema(VECTOR, DataTypes.DoubleType),
            List.of(RowFactory.create(Vectors.dense(1), Double.NEGATIVE_INFINITY)), 0);
        assertEquals("y", e.column());
        assertTrue(e.getMessage().contains("label -Infinity is not a finite float"), e.getMessage());
    }

    @Test
    void shouldLeaveNoSpillFileWhenABadRowStopsTheFirstPass(@TempDir Path localDir) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            rows.add(RowFactory.create(Vectors.dense(i, i), i == 7 ? Double.NaN : 1.0));
        }
        try (RowsToArrow converter = RowsToArrow.forSchema(schema(VECTOR, DataTypes.DoubleType)).features("f")
            .label("y").batchRows(3).partitionId(2).open(allocator)) {
            BadRowException e = assertThrows(BadRowException.class,
                () -> PartitionData.spill(converter.convert(rows.iterator()), localDir, allocator, 0));
            assertEquals(7, e.row());
            assertEquals(2, e.partition());
            try (Stream<Path> files = Files.list(localDir)) {
                assertEquals(0, files.count());
            }
            assertEquals(0, allocator.getAllocatedMemory());
        }
    }

    @Test
    void shouldRejectASparseIndexOutsideTheVector() {
        // VectorUDT's struct built by hand: Vectors.sparse itself would refuse index 5 of size 2.
        GenericInternalRow sparse = new GenericInternalRow(new Object[] {(byte) 0, 2,
            UnsafeArrayData.fromPrimitiveArray(new int[] {5}), UnsafeArrayData.fromPrimitiveArray(new double[] {1})});
        GenericInternalRow row = new GenericInternalRow(new Object[] {sparse, 0.0});
        try (RowsToArrow converter = RowsToArrow.forSchema(schema(VECTOR, DataTypes.DoubleType)).features("f")
            .label("y").open(allocator)) {
            BadRowException e = assertThrows(BadRowException.class,
                () -> converter.convertInternal(List.<InternalRow>of(row).iterator()).next());
            assertTrue(e.getMessage().contains("sparse index 5 outside [0, 2)"), e.getMessage());
        }
    }

    @Test
    void shouldCheckEveryRowAndKeepCountingPastABadOne() {
        List<Row> rows = List.of(RowFactory.create(Vectors.dense(1, 2), 0.0), RowFactory.create(null, 0.0),
            RowFactory.create(Vectors.dense(1, Double.NaN), 1.0), RowFactory.create(Vectors.dense(3, 4), 1.0));
        List<String> problems = new ArrayList<>();
        try (RowsToArrow converter = RowsToArrow.forSchema(schema(VECTOR, DataTypes.DoubleType)).features("f")
            .label("y").batchRows(1).partitionId(4).open(allocator)) {
            for (Row row : rows) {
                try {
                    converter.check(row);
                } catch (BadRowException e) {
                    problems.add(e.row() + ":" + e.getMessage());
                }
            }
            assertEquals(4, converter.rowsSeen());
        }
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("1:") && problems.get(0).endsWith("partition 4: null"), problems.get(0));
        assertTrue(problems.get(1).startsWith("2:") && problems.get(1).contains("NaN at index 1"), problems.get(1));
    }

    @Test
    void shouldTellTheWidthOfARowThroughTheColumnsConverter() {
        StructType schema = schema(DataTypes.createArrayType(DataTypes.DoubleType), DataTypes.DoubleType);
        assertEquals(3, FeatureWriters.width(schema, "f", RowFactory.create(new double[] {1, 2, 3}, 0.0), 0));
        assertEquals(5, FeatureWriters.width(schema(VECTOR, DataTypes.DoubleType), "f",
            RowFactory.create(Vectors.sparse(5, new int[] {1}, new double[] {2}), 0.0), 0));
        BadRowException e = assertThrows(BadRowException.class,
            () -> FeatureWriters.width(schema, "f", RowFactory.create(null, 0.0), 7));
        assertEquals(7, e.row());
        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
            () -> FeatureWriters.requireSupported("f", DataTypes.StringType));
        assertTrue(wrongType.getMessage().contains("feature column 'f' has type string"), wrongType.getMessage());
    }

    @Test
    void shouldPadSequencesAndWriteTheirMask() {
        StructType schema = schema(DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)),
            DataTypes.DoubleType);
        List<Row> rows = List.of(
            RowFactory.create(List.of(new float[] {1, 2}, new float[] {3, 4}), 0.0),
            RowFactory.create(JavaConverters.asScalaBuffer(List.<Object>of(new float[] {5, 6})).toSeq(), 1.0));
        List<Float> labels = new ArrayList<>();
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("f").label("y").maxSequenceLength(3)
            .open(allocator)) {
            List<float[]> out = drain(converter.convert(rows.iterator()), labels);
            assertEquals(FeatureWriters.sequenceWidth(3, 2), converter.width());
            assertArrayEquals(new float[] {1, 2, 3, 4, 0, 0, 1, 1, 0}, out.get(0));
            assertArrayEquals(new float[] {5, 6, 0, 0, 0, 0, 1, 0, 0}, out.get(1));
        }
        assertEquals(2, FeatureWriters.sequenceStepWidth(3, 9));
    }

    @Test
    void shouldNameTheStepOfABadSequence() {
        StructType schema = schema(DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)),
            DataTypes.DoubleType);
        List<Row> tooLong = List.of(RowFactory.create(List.of(new double[] {1}, new double[] {2}, new double[] {3}), 0.0));
        List<Row> ragged = List.of(RowFactory.create(List.of(new double[] {1, 2}, new double[] {3}), 0.0));
        List<Row> nan = List.of(RowFactory.create(List.of(new double[] {1, 2}, new double[] {3, Double.NaN}), 0.0));
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("f").label("y").maxSequenceLength(2)
            .partitionId(1).open(allocator)) {
            BadRowException e = assertThrows(BadRowException.class, () -> converter.check(tooLong.get(0)));
            assertTrue(e.getMessage().contains("3 steps, longer than the maximum sequence length 2"), e.getMessage());
            e = assertThrows(BadRowException.class, () -> converter.check(ragged.get(0)));
            assertTrue(e.getMessage().contains("step 1: 1 features, expected 2"), e.getMessage());
            e = assertThrows(BadRowException.class, () -> converter.check(nan.get(0)));
            assertTrue(e.getMessage().contains("step 1: NaN at index 1"), e.getMessage());
            assertEquals(2, e.row());
        }
    }

    @Test
    void shouldPutSeveralFeatureColumnsSideBySideInOrder() {
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("a", VECTOR, true),
            DataTypes.createStructField("b", DataTypes.createArrayType(DataTypes.FloatType), true),
            DataTypes.createStructField("y", DataTypes.DoubleType, true)});
        List<Row> rows = List.of(RowFactory.create(Vectors.dense(1, 2), new float[] {3, 4, 5}, 0.0),
            RowFactory.create(Vectors.dense(6, 7), new float[] {8, 9, 10}, 1.0),
            RowFactory.create(Vectors.dense(1, 1), new float[] {1, 1}, 1.0));
        List<Float> labels = new ArrayList<>();
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features(List.of("b", "a")).label("y")
            .partitionId(0).open(allocator)) {
            Iterator<VectorSchemaRoot> batches = converter.convert(rows.subList(0, 2).iterator());
            List<float[]> out = drain(batches, labels);
            assertArrayEquals(new float[] {3, 4, 5, 1, 2}, out.get(0));
            assertArrayEquals(new float[] {8, 9, 10, 6, 7}, out.get(1));
            assertArrayEquals(new int[] {3, 2}, converter.widths());
            BadRowException e = assertThrows(BadRowException.class, () -> converter.check(rows.get(2)));
            assertEquals("b", e.column());
            assertTrue(e.getMessage().contains("length 2, expected 3"), e.getMessage());
        }
    }

    private static final StructType IMAGE = new StructType()
        .add("origin", DataTypes.StringType, true).add("height", DataTypes.IntegerType, false)
        .add("width", DataTypes.IntegerType, false).add("nChannels", DataTypes.IntegerType, false)
        .add("mode", DataTypes.IntegerType, false).add("data", DataTypes.BinaryType, false);

    private static Row image(int height, int width, byte... bgr) {
        return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(
            new Object[] {"file:/x.png", height, width, 3, 16, bgr}, IMAGE);
    }

    @Test
    void shouldDecodeImagesToChannelsHeightWidthInSparksChannelOrder() {
        StructType schema = new StructType().add("img", IMAGE, true).add("y", DataTypes.DoubleType, true);
        // A 1x2 image: pixel 0 is (B, G, R) = (255, 0, 51), pixel 1 is (0, 102, 0).
        Row row = RowFactory.create(image(1, 2, (byte) 255, (byte) 0, (byte) 51, (byte) 0, (byte) 102, (byte) 0), 1.0);
        List<Float> labels = new ArrayList<>();
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("img").label("y").partitionId(0)
            .open(allocator)) {
            List<float[]> out = drain(converter.convert(List.of(row).iterator()), labels);
            assertArrayEquals(new float[] {1, 0, 0, 0.4f, 0.2f, 0}, out.get(0), 1e-6f);
            Row bigger = RowFactory.create(image(2, 2, new byte[12]), 0.0);
            BadRowException e = assertThrows(BadRowException.class, () -> converter.check(bigger));
            assertEquals("img", e.column());
            assertTrue(e.getMessage().contains("image of 2x2x3 (height x width x channels), expected 1x2x3"),
                e.getMessage());
            Row truncated = RowFactory.create(image(1, 2, new byte[5]), 0.0);
            e = assertThrows(BadRowException.class, () -> converter.check(truncated));
            assertTrue(e.getMessage().contains("image data of 5 bytes, expected 6"), e.getMessage());
        }
    }
}
