package dev.sparkdl.spark;

import java.io.Serializable;

/**
 * The features column and the number of values the network reads from each row. Values are read
 * by arrow-io's converters ({@code RowsToArrow}), for training and scoring alike.
 */
public record FeatureColumn(String column, int width) implements Serializable {
    public FeatureColumn {
        if (width <= 0) {
            throw new IllegalArgumentException("feature width must be positive: " + width);
        }
    }
}
