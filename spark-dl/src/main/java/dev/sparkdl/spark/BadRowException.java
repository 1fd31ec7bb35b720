package dev.sparkdl.spark;

/** A row that cannot be trained on or scored, named by column, partition and position. */
public final class BadRowException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String column;
    private final int partition;
    private final long position;

    public BadRowException(String column, int partition, long position, String what) {
        super("Column '" + column + "' " + what + " (partition " + partition + ", row " + position
                + " of that partition)");
        this.column = column;
        this.partition = partition;
        this.position = position;
    }

    public String column() {
        return column;
    }

    public int partition() {
        return partition;
    }

    public long position() {
        return position;
    }
}
