package dev.sparkdl.spark;

import java.io.Serializable;

import dev.sparkdl.train.InputLayout;

/**
 * The features column, the number of values the network reads from each row, and how it reads
 * them. Values are read by arrow-io's converters ({@code RowsToArrow}), for training and scoring
 * alike.
 *
 * @param maxSequenceLength the padded length of a sequence column, 0 for other columns
 */
public record FeatureColumn(String column, int width, int maxSequenceLength, InputLayout layout)
        implements Serializable {
    public FeatureColumn {
        if (width <= 0) {
            throw new IllegalArgumentException("feature width must be positive: " + width);
        }
    }

    /** A plain column of {@code width} features per row. */
    public FeatureColumn(String column, int width) {
        this(column, width, 0, InputLayout.FLAT);
    }
}
