package dev.sparkdl.bench.arrow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.MappedBatches;
import dev.sparkdl.arrow.MiniBatch;
import dev.sparkdl.arrow.MiniBatches;
import dev.sparkdl.arrow.PartitionData;
import dev.sparkdl.arrow.TrainingSchema;
import dev.sparkdl.arrow.spark.RowsToArrow;

/**
 * End-to-end harness for the Arrow data path on 60k x 784 synthetic rows (MNIST-sized), with its
 * baselines measured in the same run:
 * <ol>
 *   <li>rows to minibatches: Arrow path (rows -> Arrow batches -> spill file -> mapped epoch of
 *       ND4J views) against the per-row path (float[] copy -> {@code new DataSet} per row ->
 *       {@code DataSet.merge} per minibatch);</li>
 *   <li>a later epoch re-read from the mapped spill file against a plain memcpy of the same bytes;</li>
 *   <li>per-epoch costs: in-order views, shuffled gathers, and an ND4J reduction over views
 *       against the same reduction over arrays ND4J owns;</li>
 *   <li>{@code transform} of a model against a per-row UDF calling {@code network.output}
 *       ({@link TransformBenchmark}).</li>
 * </ol>
 * Prints one {@code RESULT key=value ...} line per measurement and the ratios.
 *
 * <p>Run: {@code benchmarks/run.sh arrow [rows] [width] [transform]}; with {@code transform}
 * only the last measurement runs.
 */
public final class ArrowPathBenchmark {
    private static final int MINIBATCH = 64;
    private static final int ARROW_BATCH_ROWS = 4096;
    private static final int WARMUP = 1;
    private static final int RUNS = 3;
    /** The per-row UDF baseline is slow; this many rows keep it to seconds. */
    private static final int TRANSFORM_ROWS = 20_000;

    private ArrowPathBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;
        int width = args.length > 1 ? Integer.parseInt(args[1]) : 784;
        long featureBytes = (long) rows * width * Float.BYTES;
        boolean transformOnly = args.length > 2 && args[2].equals("transform");
        if (transformOnly) {
            runTransform(rows, width);
            return;
        }
        List<InternalRow> input = syntheticRows(rows, width);
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), false),
            DataTypes.createStructField("label", DataTypes.DoubleType, false)});
        Path localDir = Files.createTempDirectory("sparkdl-bench-");
        BufferAllocator allocator = Allocators.child(Allocators.processRoot(), "benchmark");
        System.out.printf("rows=%d width=%d featureBytes=%d minibatch=%d arrowBatch=%d%n",
            rows, width, featureBytes, MINIBATCH, ARROW_BATCH_ROWS);

        double perRowNs = median(() -> perRowDataSets(input, width));
        double convertNs = median(() -> arrowConvertOnly(input, schema, allocator));
        double arrowNs = median(() -> arrowSpillAndEpoch(input, schema, allocator, localDir));
        report("per_row_dataset", rows, featureBytes, perRowNs);
        report("arrow_convert", rows, featureBytes, convertNs);
        report("arrow_convert_spill_epoch", rows, featureBytes, arrowNs);
        System.out.printf("RATIO arrow_convert_spill_epoch_vs_per_row=%.2f arrow_convert_vs_per_row=%.2f%n",
            perRowNs / arrowNs, perRowNs / convertNs);

        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("features").label("label")
                 .batchRows(ARROW_BATCH_ROWS).open(allocator);
             PartitionData data = PartitionData.spill(converter.convertInternal(input.iterator()), localDir,
                 allocator, width);
             ArrowBuf src = allocator.buffer(featureBytes);
             ArrowBuf dst = allocator.buffer(featureBytes)) {
            src.setOne(0, featureBytes);
            double memcpyNs = median(() -> {
                MemoryUtil.UNSAFE.copyMemory(src.memoryAddress(), dst.memoryAddress(), featureBytes);
                return dst.getByte(featureBytes - 1);
            });
            double rereadNs = median(() -> rereadMapped(data.spillFile(), allocator, dst));
            report("memcpy_same_bytes", rows, featureBytes, memcpyNs);
            report("spilled_epoch_reread", rows, featureBytes, rereadNs);
            System.out.printf("RATIO spilled_reread_vs_memcpy_throughput=%.2f%n", memcpyNs / rereadNs);

            double viewsNs = median(() -> iterateEpoch(data, false, false));
            double gatherNs = median(() -> iterateEpoch(data, true, false));
            double viewsSumNs = median(() -> iterateEpoch(data, false, true));
            double ownedSumNs = median(() -> sumOwnedArrays(data.numBatches(MINIBATCH), width));
            report("epoch_in_order_views", rows, featureBytes, viewsNs);
            report("epoch_shuffled_gather", rows, featureBytes, gatherNs);
            report("epoch_views_nd4j_sum", rows, featureBytes, viewsSumNs);
            report("owned_arrays_nd4j_sum", rows, featureBytes, ownedSumNs);
            System.out.printf("RATIO shuffled_gather_vs_memcpy_throughput=%.2f views_sum_vs_owned_sum=%.2f%n",
                memcpyNs / gatherNs, ownedSumNs / viewsSumNs);
        }
        allocator.close();
        Files.deleteIfExists(localDir);

        runTransform(rows, width);
    }

    private static void runTransform(int rows, int width) {
        int transformRows = Math.min(rows, TRANSFORM_ROWS);
        System.out.printf("transform: rows=%d width=%d (model vs per-row UDF, local[2])%n", transformRows, width);
        TransformBenchmark.run(transformRows, width, ArrowPathBenchmark::median);
    }

    private static List<InternalRow> syntheticRows(int rows, int width) {
        SplittableRandom random = new SplittableRandom(7);
        List<InternalRow> out = new ArrayList<>(rows);
        float[] values = new float[width];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                values[c] = (float) random.nextDouble();
            }
            out.add(new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(values),
                (double) random.nextInt(10)}));
        }
        return out;
    }

    /** The baseline: one float[] and one DataSet per row, merged per minibatch, as per-row loaders do. */
    private static long perRowDataSets(List<InternalRow> input, int width) {
        long checksum = 0;
        List<DataSet> pending = new ArrayList<>(MINIBATCH);
        for (InternalRow row : input) {
            float[] features = row.getArray(0).toFloatArray();
            INDArray x = Nd4j.create(features, new long[] {1, width}, 'c');
            INDArray y = Nd4j.create(new float[] {(float) row.getDouble(1)}, new long[] {1, 1}, 'c');
            pending.add(new DataSet(x, y));
            if (pending.size() == MINIBATCH) {
                checksum += DataSet.merge(pending).getFeatures().rows();
                pending.clear();
            }
        }
        if (!pending.isEmpty()) {
            checksum += DataSet.merge(pending).getFeatures().rows();
        }
        return checksum;
    }

    private static long arrowConvertOnly(List<InternalRow> input, StructType schema, BufferAllocator allocator) {
        long rows = 0;
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("features").label("label")
            .batchRows(ARROW_BATCH_ROWS).open(allocator)) {
            Iterator<VectorSchemaRoot> batches = converter.convertInternal(input.iterator());
            while (batches.hasNext()) {
                rows += batches.next().getRowCount();
            }
        }
        return rows;
    }

    /** The Arrow path up to the first training minibatch of every row: convert, spill, map, one epoch. */
    private static long arrowSpillAndEpoch(List<InternalRow> input, StructType schema, BufferAllocator allocator,
                                           Path localDir) {
        try (RowsToArrow converter = RowsToArrow.forSchema(schema).features("features").label("label")
                 .batchRows(ARROW_BATCH_ROWS).open(allocator);
             PartitionData data = PartitionData.spill(converter.convertInternal(input.iterator()), localDir,
                 allocator, 0);
             MiniBatches epoch = data.epoch(1, 0, MINIBATCH, false)) {
            long rows = 0;
            while (epoch.hasNext()) {
                rows += epoch.next().rows();
            }
            return rows;
        }
    }

    /**
     * A later epoch's read: map the spill file afresh (page faults included, the file is in the
     * page cache as it would be on an executor) and stream every feature byte out of the mapping.
     */
    private static long rereadMapped(Path spillFile, BufferAllocator allocator, ArrowBuf dst) {
        long offset = 0;
        try (MappedBatches mapped = MappedBatches.map(spillFile, allocator)) {
            for (VectorSchemaRoot batch : mapped.batches()) {
                ArrowBuf features = TrainingSchema.featureValues(batch).getDataBuffer();
                long bytes = (long) batch.getRowCount() * TrainingSchema.width(batch) * Float.BYTES;
                MemoryUtil.UNSAFE.copyMemory(features.memoryAddress(), dst.memoryAddress() + offset, bytes);
                offset += bytes;
            }
        }
        return offset;
    }

    /** One epoch of minibatches; with {@code sum}, one ND4J reduction per minibatch reads every byte. */
    private static long iterateEpoch(PartitionData data, boolean shuffle, boolean sum) {
        double total = 0;
        try (MiniBatches epoch = data.epoch(3, 1, MINIBATCH, shuffle)) {
            while (epoch.hasNext()) {
                MiniBatch mb = epoch.next();
                total += sum ? mb.features().sumNumber().doubleValue() : mb.rows();
            }
        }
        return (long) total;
    }

    /** The same ND4J reductions over an array ND4J owns: the cost of the op itself, not of the view. */
    private static long sumOwnedArrays(long minibatches, int width) {
        INDArray owned = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, MINIBATCH, width);
        double total = 0;
        for (long i = 0; i < minibatches; i++) {
            total += owned.sumNumber().doubleValue();
        }
        return (long) total;
    }

    /** Median of RUNS timed runs after WARMUP untimed ones, in nanoseconds. */
    private static double median(LongSupplier run) {
        long sink = 0;
        for (int i = 0; i < WARMUP; i++) {
            sink += run.getAsLong();
        }
        long[] times = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            sink += run.getAsLong();
            times[i] = System.nanoTime() - start;
        }
        if (sink == Long.MIN_VALUE) {
            System.out.println(sink);
        }
        Arrays.sort(times);
        return times[RUNS / 2];
    }

    private static void report(String name, long rows, long bytes, double ns) {
        double seconds = ns / 1e9;
        System.out.printf("RESULT name=%s ms=%.1f rows_per_s=%.0f gb_per_s=%.3f%n",
            name, ns / 1e6, rows / seconds, bytes / seconds / 1e9);
    }
}
