package dev.sparkdl.spark;

import java.util.Arrays;
import java.util.Iterator;

import org.apache.spark.sql.Row;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.train.InMemoryData;

/**
 * A partition's rows read into two growable row-major float matrices (features, targets), each
 * value checked on the way in. Used by the validation pass and by every training task.
 */
final class RowBlock {
    private final FeatureReader features;
    private final LabelEncoder labels;
    private float[] featureValues;
    private float[] labelValues;
    private int rows;

    RowBlock(FeatureReader features, LabelEncoder labels, int initialRows) {
        this.features = features;
        this.labels = labels;
        this.featureValues = new float[Math.max(1, initialRows) * features.width()];
        this.labelValues = new float[Math.max(1, initialRows) * labels.width()];
    }

    /** Reads every row; throws {@link BadRowException} at the first bad one. */
    static RowBlock read(Iterator<Row> it, FeatureReader features, LabelEncoder labels, int partition) {
        RowBlock block = new RowBlock(features, labels, 1024);
        while (it.hasNext()) {
            block.add(it.next(), partition);
        }
        return block;
    }

    void add(Row row, int partition) {
        if (rows * features.width() == featureValues.length) {
            featureValues = Arrays.copyOf(featureValues, featureValues.length * 2);
            labelValues = Arrays.copyOf(labelValues, labelValues.length * 2);
        }
        features.read(row, featureValues, rows * features.width(), partition, rows);
        labels.encode(row, labelValues, rows * labels.width(), partition, rows);
        rows++;
    }

    int rows() {
        return rows;
    }

    /** Moves the rows off-heap for training. */
    InMemoryData toWorkerData() {
        INDArray x = matrix(featureValues, features.width());
        INDArray y = matrix(labelValues, labels.width());
        featureValues = null;
        labelValues = null;
        return new InMemoryData(x, y);
    }

    private INDArray matrix(float[] values, int width) {
        if (rows == 0) {
            return Nd4j.create(DataType.FLOAT, 0, width);
        }
        float[] exact = values.length == rows * width ? values : Arrays.copyOf(values, rows * width);
        return Nd4j.create(exact, new long[] {rows, width}, 'c');
    }
}
