package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.TestData;
import dev.sparkdl.arrow.spark.BadRowException;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.NetworkSpec;

/** Scoring on the Arrow path, without Spark: outputs match the network's, and no Arrow byte is leaked. */
class BatchScorerTest {
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);

    private BufferAllocator allocator;
    private final NetworkAdapter network = NetworkAdapter.create(NetworkSpec.of(TestData.mlp(3, 5, 2, 7)), null);

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator(Long.MAX_VALUE);
    }

    @AfterEach
    void closeAllocator() {
        try {
            assertEquals(0, allocator.getAllocatedMemory(), () -> "leaked:\n" + allocator.toVerboseString());
        } finally {
            allocator.close();
        }
    }

    private static List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(i, new float[] {i, -i * 0.5f, 1}));
        }
        return rows;
    }

    private static BatchScorer scorer(OutputLayout layout) {
        return new BatchScorer(null, SCHEMA, new FeatureColumn("features", 3), layout, 4);
    }

    @Test
    void shouldAppendTheNetworksOutputToEachRowAcrossBatches() {
        List<Row> input = rows(10);
        List<Row> scored = new ArrayList<>();
        scorer(OutputLayout.CLASSIFICATION).score(input.iterator(), network, 0, allocator).forEachRemaining(scored::add);
        assertEquals(10, scored.size());
        for (int i = 0; i < 10; i++) {
            Row row = scored.get(i);
            assertEquals(i, row.getInt(0));
            float[] expected = network.output(Nd4j.createFromArray(new float[][] {(float[]) input.get(i).get(1)}))
                    .toFloatVector();
            double[] probability = ((Vector) row.get(3)).toArray();
            double[] raw = ((Vector) row.get(2)).toArray();
            for (int k = 0; k < 2; k++) {
                assertEquals(expected[k], probability[k], 1e-6);
                assertEquals(Math.log(expected[k]), raw[k], 1e-5);
            }
            assertEquals(expected[1] > expected[0] ? 1.0 : 0.0, row.getDouble(4));
        }
    }

    @Test
    void shouldWriteTheFirstOutputAsARegressionPrediction() {
        List<Row> scored = new ArrayList<>();
        scorer(OutputLayout.REGRESSION).score(rows(3).iterator(), network, 0, allocator).forEachRemaining(scored::add);
        float first = network.output(Nd4j.createFromArray(new float[][] {{2, -1, 1}})).getFloat(0, 0);
        assertEquals(3, scored.get(2).size());
        assertEquals(first, scored.get(2).getDouble(2), 1e-6);
    }

    @Test
    void shouldNameTheRowOfABadValueAndFreeEverything() {
        List<Row> input = rows(6);
        input.set(5, RowFactory.create(5, new float[] {1, Float.NaN, 2}));
        var scored = scorer(OutputLayout.CLASSIFICATION).score(input.iterator(), network, 3, allocator);
        for (int i = 0; i < 4; i++) {
            scored.next();
        }
        BadRowException e = assertThrows(BadRowException.class, scored::hasNext);
        assertEquals("features", e.column());
        assertEquals(5, e.row());
        assertEquals(3, e.partition());
        assertTrue(e.getMessage().contains("NaN at index 1"), e.getMessage());
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void shouldFreeMemoryWhenClosedBeforeTheEnd() {
        var scored = scorer(OutputLayout.CLASSIFICATION).score(rows(20).iterator(), network, 0, allocator);
        scored.next();
        scored.close();
        assertEquals(0, allocator.getAllocatedMemory());
        // Rows already scored (the rest of the first batch of 4) are plain rows; no batch follows.
        int left = 0;
        while (scored.hasNext()) {
            scored.next();
            left++;
        }
        assertEquals(3, left);
        assertFalse(scored.hasNext());
    }
}
