package dev.sparkdl.arrow.spark;

/**
 * A row that cannot be training or scoring input: null, wrong length, NaN or infinite, or a
 * label a classifier cannot take. Says where it is so
 * that a user can find it: column, position of the row in its partition (0-based) and partition.
 */
public final class BadRowException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The partition id when the caller did not give one. */
    public static final int UNKNOWN_PARTITION = -1;

    private final String column;
    private final long row;
    private final int partition;

    /**
     * @param row       the row's position in its partition, counting from 0
     * @param partition the partition id, or {@link #UNKNOWN_PARTITION}
     * @param reason    what is wrong with the value, e.g. "NaN at index 3"
     */
    public BadRowException(String column, long row, int partition, String reason) {
        super("bad value in column '" + column + "' at row " + row
            + (partition == UNKNOWN_PARTITION ? "" : " of partition " + partition) + ": " + reason);
        this.column = column;
        this.row = row;
        this.partition = partition;
    }

    public String column() {
        return column;
    }

    /** Position of the row in its partition, counting from 0. */
    public long row() {
        return row;
    }

    /** The partition id, or {@link #UNKNOWN_PARTITION}. */
    public int partition() {
        return partition;
    }
}
