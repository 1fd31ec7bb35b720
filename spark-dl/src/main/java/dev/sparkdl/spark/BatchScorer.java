package dev.sparkdl.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.TaskCompletionListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.Nd4jViews;
import dev.sparkdl.arrow.spark.PredictionBatch;
import dev.sparkdl.arrow.spark.RowsToArrow;
import dev.sparkdl.train.InputLayout;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.TrainedNetwork;

/**
 * Scores a partition in batches on the Arrow path training uses: rows become an Arrow feature
 * batch through arrow-io's converters ({@link RowsToArrow}), the network reads it as an ND4J view,
 * its output is written into Arrow vectors ({@link PredictionBatch}) and read back per row through
 * Spark's {@code ArrowColumnVector}s, appended to each input row.
 */
public final class BatchScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_ROWS = 1024;

    private final Broadcast<TrainedNetwork> network;
    private final StructType schema;
    private final FeatureColumn features;
    private final OutputLayout layout;
    private final int batchRows;

    /** @param schema the schema of the rows to score, in which {@code features} is a column */
    public BatchScorer(Broadcast<TrainedNetwork> network, StructType schema, FeatureColumn features,
                       OutputLayout layout, int batchRows) {
        this.network = network;
        this.schema = schema;
        this.features = features;
        this.layout = layout;
        this.batchRows = batchRows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        ScoringCache.Pool pool = ScoringCache.poolFor(network.value());
        NetworkAdapter replica = pool.borrow().withInput(features.layout());
        TaskContext task = TaskContext.get();
        int partition = task != null ? task.partitionId() : 0;
        ScoredRows scored;
        try {
            scored = score(rows, replica, partition, Allocators.processRoot());
        } catch (RuntimeException | Error e) {
            pool.release(replica);
            throw e;
        }
        if (task != null) {
            // Also runs when the task fails or stops early (a limit): memory and the replica come back.
            task.addTaskCompletionListener((TaskCompletionListener) context -> {
                scored.close();
                pool.release(replica);
            });
        }
        return scored;
    }

    /** Scores {@code rows} with {@code network}; Arrow memory comes from a child of {@code parent}. */
    ScoredRows score(Iterator<Row> rows, NetworkAdapter network, int partition, BufferAllocator parent) {
        return new ScoredRows(rows, network, partition, parent);
    }

    /**
     * The scored rows of one partition. Owns a child allocator, closed when the input is used up,
     * when scoring fails, or by {@link #close()}, whichever comes first.
     */
    final class ScoredRows implements Iterator<Row>, AutoCloseable {
        private final NetworkAdapter replica;
        private final BufferAllocator allocator;
        private final RowsToArrow converter;
        private final Iterator<VectorSchemaRoot> batches;
        /** The input rows of the batch being converted, in order: the converter pulls them through here. */
        private final List<Row> pending = new ArrayList<>();
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private boolean closed;

        ScoredRows(Iterator<Row> input, NetworkAdapter replica, int partition, BufferAllocator parent) {
            this.replica = replica;
            this.allocator = Allocators.child(parent, "scoring-partition-" + partition);
            try {
                this.converter = features.applyTo(RowsToArrow.forSchema(schema)).batchRows(batchRows)
                        .partitionId(partition).open(allocator);
            } catch (RuntimeException | Error e) {
                allocator.close();
                throw e;
            }
            this.batches = converter.convert(new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return input.hasNext();
                }

                @Override
                public Row next() {
                    Row row = input.next();
                    pending.add(row);
                    return row;
                }
            });
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && !closed) {
                try {
                    if (batches.hasNext()) {
                        scoreNextBatch();
                    } else {
                        close();
                    }
                } catch (RuntimeException | Error e) {
                    close();
                    throw e;
                }
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void scoreNextBatch() {
            pending.clear();
            VectorSchemaRoot batch = batches.next();
            int n = batch.getRowCount();
            INDArray features = Nd4jViews.features(batch, 0, n);
            INDArray output = replica.output(features);
            // Per-step output becomes one prediction row per real step; row i's steps follow row i-1's.
            int[] steps = replica.perStepOutput() ? replica.input().stepCounts(features) : null;
            if (steps != null) {
                output = InputLayout.realSteps(output, steps);
            }
            try (PredictionBatch predictions = layout.predictions(output, allocator)) {
                ColumnarBatch columns = predictions.columnarBatch();
                int stepRow = 0;
                for (int i = 0; i < n; i++) {
                    Row row = pending.get(i);
                    Object[] cells = new Object[row.size() + layout.columns()];
                    for (int c = 0; c < row.size(); c++) {
                        cells[c] = row.get(c);
                    }
                    if (steps == null) {
                        layout.cells(columns, i, cells, row.size());
                    } else {
                        layout.stepCells(columns, stepRow, steps[i], cells, row.size());
                        stepRow += steps[i];
                    }
                    ready.add(RowFactory.create(cells));
                }
            }
            pending.clear();
        }

        /** Frees this partition's Arrow memory; idempotent. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
            try {
                converter.close();
            } finally {
                allocator.close();
            }
        }
    }
}
