package dev.sparkdl.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionDataTest extends AllocatorTest {
    private static final int WIDTH = 5;

    @TempDir
    Path localDir;

    private PartitionData spill(int rows, int batchRows) {
        try (SyntheticBatches batches = new SyntheticBatches(allocator, rows, WIDTH, batchRows)) {
            return PartitionData.spill(batches, localDir, allocator, 0);
        }
    }

    private List<Path> filesInLocalDir() throws IOException {
        try (Stream<Path> files = Files.list(localDir)) {
            return files.toList();
        }
    }

    /** The label of each row of each minibatch; features are checked against the label on the way. */
    private static List<Integer> epochRows(PartitionData data, long seed, int epoch, int batchRows, boolean shuffle) {
        List<Integer> seen = new ArrayList<>();
        try (MiniBatches batches = data.epoch(seed, epoch, batchRows, shuffle)) {
            while (batches.hasNext()) {
                MiniBatch mb = batches.next();
                assertTrue(mb.rows() <= batchRows);
                assertEquals(WIDTH, mb.features().columns());
                for (int r = 0; r < mb.rows(); r++) {
                    int row = (int) mb.labels().getFloat(r, 0);
                    assertEquals(SyntheticBatches.feature(row, WIDTH - 1), mb.features().getFloat(r, WIDTH - 1));
                    seen.add(row);
                }
            }
        }
        return seen;
    }

    @Test
    void shouldRoundTripEveryRowThroughTheSpillFile() {
        try (PartitionData data = spill(23, 10)) {
            assertEquals(23, data.numRows());
            assertEquals(WIDTH, data.numFeatures());
            assertEquals(3, data.batches().size());
            VectorSchemaRoot last = data.batches().get(2);
            assertEquals(3, last.getRowCount());
            for (int c = 0; c < WIDTH; c++) {
                assertEquals(SyntheticBatches.feature(22, c), TrainingSchema.featureValues(last).get(2 * WIDTH + c));
            }
            assertEquals(22f, TrainingSchema.labelsOrNull(last).get(2));
        }
    }

    @Test
    void shouldReadEpochsInPlaceFromTheMappedFile() {
        try (PartitionData data = spill(40, 10)) {
            for (VectorSchemaRoot batch : data.batches()) {
                assertTrue(data.isMapped(TrainingSchema.featureValues(batch).getDataBuffer().memoryAddress()));
            }
            try (MiniBatches batches = data.epoch(1, 0, 10, false)) {
                MiniBatch mb = batches.next();
                // An in-order minibatch inside one Arrow batch is a view of the mapping itself.
                assertTrue(data.isMapped(mb.features().data().address()));
                assertTrue(data.isMapped(mb.labels().data().address()));
                assertEquals(TrainingSchema.featureValues(data.batches().get(0)).getDataBuffer().memoryAddress(),
                    mb.features().data().address());
            }
        }
    }

    @Test
    void shouldServeRowsInOrderIncludingMinibatchesThatSpanTwoBatches() {
        try (PartitionData data = spill(23, 10)) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 23; i++) {
                expected.add(i);
            }
            assertEquals(expected, epochRows(data, 7, 0, 4, false));
            assertEquals(expected, epochRows(data, 7, 0, 10, false));
            assertEquals(6, data.numBatches(4));
        }
    }

    @Test
    void shouldCoverEveryRowExactlyOncePerShuffledEpoch() {
        try (PartitionData data = spill(101, 16)) {
            List<Integer> first = null;
            for (int epoch = 0; epoch < 3; epoch++) {
                List<Integer> rows = epochRows(data, 42, epoch, 8, true);
                List<Integer> sorted = new ArrayList<>(rows);
                Collections.sort(sorted);
                for (int i = 0; i < 101; i++) {
                    assertEquals(i, sorted.get(i));
                }
                if (first == null) {
                    first = rows;
                } else {
                    assertNotEquals(first, rows, "epochs must differ in order");
                }
            }
        }
    }

    @Test
    void shouldShuffleDeterministicallyBySeedAndEpoch() {
        try (PartitionData data = spill(50, 16)) {
            assertEquals(epochRows(data, 3, 2, 7, true), epochRows(data, 3, 2, 7, true));
            assertNotEquals(epochRows(data, 3, 2, 7, true), epochRows(data, 4, 2, 7, true));
            assertArrayEquals(data.permutation(9, 1), data.permutation(9, 1));
        }
    }

    @Test
    void shouldRemoveTheSpillFileOnClose() throws IOException {
        Path file;
        try (PartitionData data = spill(30, 8)) {
            file = data.spillFile();
            assertTrue(Files.exists(file));
            assertEquals(localDir, file.getParent());
            assertTrue(Files.size(file) > 30L * WIDTH * Float.BYTES);
        }
        assertFalse(Files.exists(file));
        assertEquals(List.of(), filesInLocalDir());
    }

    @Test
    void shouldRemoveTheSpillFileAndReleaseMemoryWhenTheFirstPassFails() throws IOException {
        try (SyntheticBatches batches = new SyntheticBatches(allocator, 30, WIDTH, 8, 20)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PartitionData.spill(batches, localDir, allocator, 0));
            assertTrue(e.getMessage().contains("row 20"));
            assertEquals(List.of(), filesInLocalDir());
        }
    }

    @Test
    void shouldTreatAnEmptyPartitionAsZeroRows() {
        try (SyntheticBatches none = new SyntheticBatches(allocator, 0, WIDTH, 8);
             PartitionData data = PartitionData.spill(none, localDir, allocator, WIDTH)) {
            assertEquals(0, data.numRows());
            assertEquals(WIDTH, data.numFeatures());
            assertNull(data.spillFile());
            try (MiniBatches batches = data.epoch(1, 0, 4, true)) {
                assertFalse(batches.hasNext());
            }
        }
    }

    @Test
    void shouldReuseOneGatherBufferPerEpoch() {
        try (PartitionData data = spill(20, 8)) {
            long before;
            try (MiniBatches batches = data.epoch(1, 0, 4, true)) {
                long address = batches.next().features().data().address();
                before = allocator.getAllocatedMemory();
                while (batches.hasNext()) {
                    assertEquals(address, batches.next().features().data().address());
                }
                assertEquals(before, allocator.getAllocatedMemory());
            }
            assertTrue(allocator.getAllocatedMemory() < before, "closing the epoch frees its gather buffers");
        }
    }
}
