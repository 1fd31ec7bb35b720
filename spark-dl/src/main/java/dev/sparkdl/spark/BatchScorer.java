package dev.sparkdl.spark;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.TrainedNetwork;

/**
 * Scores a partition in batches: rows are read into one feature matrix, the network runs once per
 * batch, and each input row comes back with the model's output columns appended.
 */
public final class BatchScorer implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_ROWS = 1024;

    private final Broadcast<TrainedNetwork> network;
    private final FeatureReader features;
    private final OutputLayout layout;
    private final int batchRows;

    public BatchScorer(Broadcast<TrainedNetwork> network, FeatureReader features, OutputLayout layout,
                       int batchRows) {
        this.network = network;
        this.features = features;
        this.layout = layout;
        this.batchRows = batchRows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        ScoringCache.Pool pool = ScoringCache.poolFor(network.value());
        NetworkAdapter replica = pool.borrow();
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> pool.release(replica));
        }
        int partition = task != null ? task.partitionId() : 0;
        return new ScoredRows(rows, replica, partition);
    }

    private final class ScoredRows implements Iterator<Row> {
        private final Iterator<Row> input;
        private final NetworkAdapter replica;
        private final int partition;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private final Row[] batch = new Row[batchRows];
        private final float[] values = new float[batchRows * features.width()];
        private long position;

        ScoredRows(Iterator<Row> input, NetworkAdapter replica, int partition) {
            this.input = input;
            this.replica = replica;
            this.partition = partition;
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && input.hasNext()) {
                scoreNextBatch();
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
            int n = 0;
            int width = features.width();
            while (n < batchRows && input.hasNext()) {
                Row row = input.next();
                features.read(row, values, n * width, partition, position++);
                batch[n++] = row;
            }
            float[] exact = n == batchRows ? values : java.util.Arrays.copyOf(values, n * width);
            INDArray x = Nd4j.create(exact, new long[] {n, width}, 'c');
            float[][] out = replica.output(x).toFloatMatrix();
            for (int i = 0; i < n; i++) {
                Row row = batch[i];
                Object[] cells = new Object[row.size() + layout.columns()];
                for (int c = 0; c < row.size(); c++) {
                    cells[c] = row.get(c);
                }
                layout.write(out[i], cells, row.size());
                ready.add(RowFactory.create(cells));
                batch[i] = null;
            }
        }
    }
}
