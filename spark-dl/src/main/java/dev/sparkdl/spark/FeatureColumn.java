package dev.sparkdl.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

import dev.sparkdl.arrow.spark.RowsToArrow;
import dev.sparkdl.train.InputLayout;

/**
 * The features columns, the number of values the network reads from each row of each, and how it
 * reads them. Values are read by arrow-io's converters ({@link RowsToArrow}), for training and
 * scoring alike; several columns sit side by side in one row.
 *
 * @param maxSequenceLength the padded length of a sequence column, 0 for other columns
 */
public record FeatureColumn(List<String> columns, int[] widths, int maxSequenceLength, InputLayout layout)
        implements Serializable {
    public FeatureColumn {
        columns = List.copyOf(columns);
        widths = widths.clone();
        if (columns.isEmpty() || columns.size() != widths.length || Arrays.stream(widths).anyMatch(w -> w <= 0)) {
            throw new IllegalArgumentException("feature columns " + columns + " need a positive width each: "
                    + Arrays.toString(widths));
        }
    }

    /** One column read with {@code layout}. */
    public FeatureColumn(String column, int width, int maxSequenceLength, InputLayout layout) {
        this(List.of(column), new int[] {width}, maxSequenceLength, layout);
    }

    /** A plain column of {@code width} features per row. */
    public FeatureColumn(String column, int width) {
        this(column, width, 0, InputLayout.FLAT);
    }

    /** Values per row, all columns together. */
    public int width() {
        return Arrays.stream(widths).sum();
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    /** Names these columns, widths and sequence length to a converter. */
    public RowsToArrow.Builder applyTo(RowsToArrow.Builder converter) {
        return converter.features(columns).widths(widths).maxSequenceLength(maxSequenceLength);
    }
}
