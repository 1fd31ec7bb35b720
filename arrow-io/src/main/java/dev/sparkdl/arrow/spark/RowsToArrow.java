package dev.sparkdl.arrow.spark;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.TrainingSchema;

/**
 * Turns one partition's rows into Arrow batches of {@code batchRows} rows in the
 * {@link TrainingSchema} layout: features as one row-major float matrix, label as float (or, for
 * a many-to-many recurrent network, one float or vector per time step: {@link Builder#stepLabels}).
 *
 * <p>The feature and label converters are chosen from the schema when this object is built.
 * Each row's values are written straight into the Arrow buffers: no per-row arrays, no
 * {@code DataSet}. The batches are one {@link VectorSchemaRoot} that this object owns and
 * refills: a batch is valid until the iterator advances or this object closes; spill it
 * ({@code PartitionData.spill}) or copy it to keep it. Bad input throws
 * {@link BadRowException} and frees the batch at once; {@link #close()} frees the rest.
 *
 * <pre>{@code
 * try (RowsToArrow rows = RowsToArrow.forSchema(df.schema()).features("features").label("label")
 *          .partitionId(TaskContext.getPartitionId()).open(allocator);
 *      PartitionData data = PartitionData.spill(rows.convert(iterator), localDir, allocator, 0)) {
 *     ...
 * }
 * }</pre>
 */
public final class RowsToArrow implements AutoCloseable {
    /** Rows per Arrow batch unless told otherwise: 4096 x 784 floats is 12.8 MB. */
    public static final int DEFAULT_BATCH_ROWS = 4096;

    private final BufferAllocator allocator;
    /** The feature columns in order; a row's features are their values side by side. */
    private final String[] featureColumns;
    private final int[] featureOrdinals;
    private final FeatureWriter[] features;
    /** Values per row of each feature column: given, or learnt from the first row (0 until then). */
    private final int[] widths;
    /** Where each column's values start in a row, valid once {@link #width} is known. */
    private final int[] offsets;
    private final String labelColumn;
    private final int labelOrdinal;
    private final LabelWriter labels;
    /** Whether labels are per time step, their steps then being the features' steps. */
    private final boolean stepLabels;
    private final int stepLabelSteps;
    /** A classifier's classes, whose labels must be class indices; 0 for any finite number. */
    private final int numClasses;
    private final int batchRows;
    private final int partition;
    private int width;
    private VectorSchemaRoot root;
    private ArrowBuf featureData;
    private ArrowBuf labelData;
    private Batches<Row> checker;
    private long rowsSeen;

    private RowsToArrow(Builder b, BufferAllocator parent) {
        StructType schema = b.schema;
        Objects.requireNonNull(b.features, "feature column");
        if (b.features.isEmpty()) {
            throw new IllegalArgumentException("no feature column");
        }
        int columns = b.features.size();
        if (b.widths.length != 0 && b.widths.length != columns) {
            throw new IllegalArgumentException(b.widths.length + " widths for " + columns + " feature columns");
        }
        this.featureColumns = b.features.toArray(String[]::new);
        this.featureOrdinals = new int[columns];
        this.features = new FeatureWriter[columns];
        this.widths = b.widths.length == 0 ? new int[columns] : b.widths.clone();
        this.offsets = new int[columns];
        for (int c = 0; c < columns; c++) {
            featureOrdinals[c] = ordinal(schema, featureColumns[c]);
            features[c] = FeatureWriters.forType(featureColumns[c], schema.fields()[featureOrdinals[c]].dataType(),
                b.maxSequenceLength, widths[c]);
        }
        this.labelColumn = b.label;
        this.labelOrdinal = labelColumn == null ? -1 : ordinal(schema, labelColumn);
        this.labels = labelColumn == null ? null : LabelWriter.forType(labelColumn,
            schema.fields()[labelOrdinal].dataType(), b.stepLabelSteps, b.valuesPerStep);
        this.stepLabels = labelColumn != null && b.stepLabelSteps > 0;
        this.stepLabelSteps = b.stepLabelSteps;
        if (stepLabels && columns != 1) {
            throw new IllegalArgumentException("per-step labels need one sequence features column, not "
                + b.features);
        }
        this.numClasses = b.numClasses;
        if (b.batchRows <= 0) {
            throw new IllegalArgumentException("batchRows must be positive: " + b.batchRows);
        }
        this.batchRows = b.batchRows;
        if (Arrays.stream(widths).allMatch(w -> w > 0)) {
            fixWidth();
        }
        this.partition = b.partition;
        this.allocator = Allocators.child(parent, "rows-to-arrow"
            + (partition == BadRowException.UNKNOWN_PARTITION ? "" : ":partition-" + partition));
    }

    /** Sets the row width and column offsets once every column's width is known. */
    private void fixWidth() {
        int total = 0;
        for (int c = 0; c < widths.length; c++) {
            offsets[c] = total;
            total = Math.addExact(total, widths[c]);
        }
        width = total;
    }

    private static int ordinal(StructType schema, String column) {
        for (int i = 0; i < schema.fields().length; i++) {
            if (schema.fields()[i].name().equals(column)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no column '" + column + "' in " + schema.simpleString());
    }

    public static Builder forSchema(StructType schema) {
        return new Builder(schema);
    }

    /** Batches of external rows ({@code Dataset<Row>}, {@code RowFactory}). */
    public Iterator<VectorSchemaRoot> convert(Iterator<Row> rows) {
        return external(rows);
    }

    /**
     * Checks one row as {@link #convert} would convert it, without keeping it: throws
     * {@link BadRowException} for a bad row. The row position advances either way, so a
     * caller can check every row of a partition and count the bad ones.
     */
    public void check(Row row) {
        if (checker == null) {
            checker = external(java.util.Collections.emptyIterator());
        }
        try {
            checker.write(row, 0);
        } finally {
            rowsSeen++;
        }
    }

    private Batches<Row> external(Iterator<Row> rows) {
        return new Batches<>(rows) {
            @Override
            boolean featureIsNull(Row row, int c) {
                return row.isNullAt(featureOrdinals[c]);
            }

            @Override
            int featureWidth(Row row, int c) {
                return features[c].width(row.get(featureOrdinals[c]));
            }

            @Override
            void writeFeatures(Row row, int c, ArrowBuf dst, long offset) {
                features[c].write(row.get(featureOrdinals[c]), dst, offset, widths[c]);
            }

            @Override
            int featureSteps(Row row) {
                return features[0] instanceof SequenceWriter sequence ? sequence.steps(row.get(featureOrdinals[0]))
                    : stepLabelSteps;
            }

            @Override
            boolean labelIsNull(Row row) {
                return row.isNullAt(labelOrdinal);
            }

            @Override
            int writeLabel(Row row, ArrowBuf dst, long offset) {
                return labels.write(row, labelOrdinal, dst, offset);
            }
        };
    }

    /**
     * Batches of Spark's internal rows, e.g. from {@code dataset.queryExecution().toRdd()}: the
     * fast path, values are read where Spark keeps them, with no boxing. Rows may be reused by
     * the source iterator (UnsafeRow); nothing here keeps a reference.
     */
    public Iterator<VectorSchemaRoot> convertInternal(Iterator<InternalRow> rows) {
        return new Batches<>(rows) {
            @Override
            boolean featureIsNull(InternalRow row, int c) {
                return row.isNullAt(featureOrdinals[c]);
            }

            @Override
            int featureWidth(InternalRow row, int c) {
                return features[c].width(row, featureOrdinals[c]);
            }

            @Override
            void writeFeatures(InternalRow row, int c, ArrowBuf dst, long offset) {
                features[c].write(row, featureOrdinals[c], dst, offset, widths[c]);
            }

            @Override
            int featureSteps(InternalRow row) {
                return features[0] instanceof SequenceWriter sequence ? sequence.steps(row, featureOrdinals[0])
                    : stepLabelSteps;
            }

            @Override
            boolean labelIsNull(InternalRow row) {
                return row.isNullAt(labelOrdinal);
            }

            @Override
            int writeLabel(InternalRow row, ArrowBuf dst, long offset) {
                return labels.write(row, labelOrdinal, dst, offset);
            }
        };
    }

    /** The row width (all feature columns): given, or taken from the first row; -1 before that. */
    public int width() {
        return width > 0 ? width : -1;
    }

    /** Values per row of each feature column, in order; 0 for one not known yet. */
    public int[] widths() {
        return widths.clone();
    }

    /** Rows converted so far (the position in the partition of the next row). */
    public long rowsSeen() {
        return rowsSeen;
    }

    @Override
    public void close() {
        releaseBatch();
        allocator.close();
    }

    private void releaseBatch() {
        if (root != null) {
            root.close();
            root = null;
            featureData = null;
            labelData = null;
        }
    }

    /** One converter loop for both row representations; the subclasses only say how to read a row. */
    private abstract class Batches<R> implements Iterator<VectorSchemaRoot> {
        private final Iterator<R> rows;
        private boolean failed;

        Batches(Iterator<R> rows) {
            this.rows = rows;
        }

        abstract boolean featureIsNull(R row, int column);

        abstract int featureWidth(R row, int column);

        abstract void writeFeatures(R row, int column, ArrowBuf dst, long offset);

        /** The time steps of the (one) features column: a sequence's own, or a fixed-length sequence's. */
        abstract int featureSteps(R row);

        abstract boolean labelIsNull(R row);

        /** Writes the row's label; returns its time steps (1 for a one-number label). */
        abstract int writeLabel(R row, ArrowBuf dst, long offset);

        @Override
        public boolean hasNext() {
            return !failed && rows.hasNext();
        }

        @Override
        public VectorSchemaRoot next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            try {
                return fill();
            } catch (RuntimeException | Error e) {
                // A failure mid-batch frees the batch now, not at close: the task is going down.
                failed = true;
                releaseBatch();
                throw e;
            }
        }

        private VectorSchemaRoot fill() {
            int n = 0;
            while (n < batchRows && rows.hasNext()) {
                write(rows.next(), n);
                n++;
                rowsSeen++;
            }
            root.setRowCount(n);
            return root;
        }

        /** Converts {@code row} into slot {@code n} of the batch, allocating the batch on the first row. */
        void write(R row, int n) {
            String column = featureColumns[0];
            try {
                for (int c = 0; c < featureColumns.length; c++) {
                    column = featureColumns[c];
                    if (featureIsNull(row, c)) {
                        throw new BadValue("null");
                    }
                    int rowWidth = featureWidth(row, c);
                    if (widths[c] <= 0) {
                        if (rowWidth <= 0) {
                            throw new BadValue("empty feature vector");
                        }
                        widths[c] = rowWidth;
                    } else if (rowWidth != widths[c]) {
                        throw new BadValue("length " + rowWidth + ", expected " + widths[c]);
                    }
                }
                if (width <= 0) {
                    fixWidth();
                }
                if (root == null) {
                    root = TrainingSchema.allocate(allocator, width, labels == null ? 0 : labels.width(), batchRows);
                    // Sized for batchRows once, so these buffers stay put until the root closes.
                    featureData = TrainingSchema.featureValues(root).getDataBuffer();
                    labelData = labels == null ? null : TrainingSchema.labelsOrNull(root).getDataBuffer();
                }
                for (int c = 0; c < featureColumns.length; c++) {
                    column = featureColumns[c];
                    writeFeatures(row, c, featureData, ((long) n * width + offsets[c]) * Float.BYTES);
                }
                if (labels != null) {
                    column = labelColumn;
                    if (labelIsNull(row)) {
                        throw new BadValue("null");
                    }
                    long at = (long) n * labels.width() * Float.BYTES;
                    int steps = writeLabel(row, labelData, at);
                    if (stepLabels && steps != featureSteps(row)) {
                        throw new BadValue(steps + " time steps of labels, but column '" + featureColumns[0]
                            + "' has " + featureSteps(row) + " steps in this row");
                    }
                    if (numClasses > 0) {
                        checkClasses(labelData, at, steps);
                    }
                }
            } catch (BadValue e) {
                throw new BadRowException(column, rowsSeen, partition, e.getMessage());
            }
        }
    }

    /** The first {@code steps} labels written at {@code offset} are class indices. */
    private void checkClasses(ArrowBuf labelData, long offset, int steps) {
        for (int s = 0; s < steps; s++) {
            try {
                LabelWriter.checkClass(labelData.getFloat(offset + (long) s * Float.BYTES), numClasses);
            } catch (BadValue e) {
                throw stepLabels ? new BadValue("step " + s + ": " + e.getMessage()) : e;
            }
        }
    }

    /** Names the columns and sizes of a {@link RowsToArrow}. */
    public static final class Builder {
        private final StructType schema;
        private List<String> features;
        private String label;
        private int batchRows = DEFAULT_BATCH_ROWS;
        private int[] widths = {};
        private int partition = BadRowException.UNKNOWN_PARTITION;
        private int maxSequenceLength;
        private int stepLabelSteps;
        private int valuesPerStep;
        private int numClasses;

        private Builder(StructType schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
        }

        public Builder features(String column) {
            this.features = List.of(column);
            return this;
        }

        /** Several feature columns, whose values sit side by side in each row, in this order. */
        public Builder features(List<String> columns) {
            this.features = List.copyOf(columns);
            return this;
        }

        /** The label column; leave unset for inference input (batches then have no label). */
        public Builder label(String column) {
            this.label = column;
            return this;
        }

        /**
         * Rows per Arrow batch. A multiple of the training minibatch keeps every in-order
         * minibatch a zero-copy view.
         */
        public Builder batchRows(int rows) {
            this.batchRows = rows;
            return this;
        }

        /** The expected feature width of the one feature column; 0 (the default) takes it from the first row. */
        public Builder width(int width) {
            this.widths = new int[] {width};
            return this;
        }

        /** The expected width of each feature column, in order; 0 for one to take from the first row. */
        public Builder widths(int... widths) {
            this.widths = widths.clone();
            return this;
        }

        /**
         * For a sequence features column ({@code array<array<float>>}): the length every sequence
         * is padded to; a longer one is a bad row. Rows then hold steps and mask as
         * {@link FeatureWriters#sequenceWidth} says.
         */
        public Builder maxSequenceLength(int steps) {
            this.maxSequenceLength = steps;
            return this;
        }

        /**
         * Labels per time step, for a many-to-many recurrent network: the label column holds one
         * number per step ({@code array<number>}, {@code valuesPerStep} 1) or {@code valuesPerStep}
         * numbers per step ({@code array<array<double>>}), as many steps as the row's features
         * (one features column, a sequence or a flat fixed-length one). Rows then hold
         * {@code maxSteps x valuesPerStep} label floats, zero past the end.
         */
        public Builder stepLabels(int maxSteps, int valuesPerStep) {
            this.stepLabelSteps = maxSteps;
            this.valuesPerStep = valuesPerStep;
            return this;
        }

        /** A classifier's classes: every label (every step's) must be a class index {@code 0..numClasses-1}. */
        public Builder classes(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /** The partition id, for error messages and the allocator name. */
        public Builder partitionId(int partition) {
            this.partition = partition;
            return this;
        }

        /** Checks the schema, picks the converters and opens a child of {@code parent}. */
        public RowsToArrow open(BufferAllocator parent) {
            return new RowsToArrow(this, parent);
        }
    }
}
