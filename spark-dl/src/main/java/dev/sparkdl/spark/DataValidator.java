package dev.sparkdl.spark;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.spark.BadRowException;
import dev.sparkdl.arrow.spark.RowsToArrow;

/**
 * The pass over the data before training: counts the rows and checks every one with the converter
 * training uses (arrow-io's {@link RowsToArrow}), so a bad row fails the fit up front, named by
 * column, partition and position, with the number of bad rows in all.
 */
public final class DataValidator {

    private DataValidator() {
    }

    record PartitionReport(int partition, long rows, long badRows, String firstProblem, long validationRows)
            implements Serializable {
    }

    /** Rows of the training data, and how many of them are held out for validation. */
    public record Counts(long rows, long validationRows) {
        public long trainingRows() {
            return rows - validationRows;
        }
    }

    /**
     * Counts rows and held-out rows (where the boolean at {@code validationIndex} is true, when
     * that index is not negative); throws if any row is bad or no row is left to train on.
     */
    public static Counts validate(JavaRDD<Row> rows, StructType schema, FeatureColumn features, LabelEncoder labels,
                                  int validationIndex) {
        List<PartitionReport> reports = rows.mapPartitionsWithIndex(
                (partition, it) -> List.of(check(partition, it, schema, features, labels, validationIndex)).iterator(),
                false).collect();
        long total = 0;
        long held = 0;
        long bad = 0;
        String first = null;
        for (PartitionReport report : reports) {
            total += report.rows();
            held += report.validationRows();
            bad += report.badRows();
            if (first == null && report.firstProblem() != null) {
                first = report.firstProblem();
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException(first + "; " + bad + " of " + total
                    + " rows are bad. Fix or filter them before fit.");
        }
        if (total == 0) {
            throw new IllegalArgumentException("The training DataFrame is empty: there is nothing to fit");
        }
        if (held == total) {
            throw new IllegalArgumentException("Every one of the " + total + " rows is a validation row: "
                    + "there is nothing left to train on");
        }
        return new Counts(total, held);
    }

    private static PartitionReport check(int partition, Iterator<Row> it, StructType schema, FeatureColumn features,
                                         LabelEncoder labels, int validationIndex) {
        long held = 0;
        long bad = 0;
        String first = null;
        try (BufferAllocator allocator = Allocators.child(Allocators.processRoot(), "validate-partition-" + partition);
             RowsToArrow converter = labels.applyTo(features.applyTo(RowsToArrow.forSchema(schema)))
                     .batchRows(1).partitionId(partition).open(allocator)) {
            while (it.hasNext()) {
                Row row = it.next();
                if (validationIndex >= 0 && !row.isNullAt(validationIndex) && row.getBoolean(validationIndex)) {
                    held++;
                }
                try {
                    converter.check(row);
                } catch (BadRowException e) {
                    bad++;
                    if (first == null) {
                        first = e.getMessage();
                    }
                }
            }
            return new PartitionReport(partition, converter.rowsSeen(), bad, first, held);
        }
    }
}
