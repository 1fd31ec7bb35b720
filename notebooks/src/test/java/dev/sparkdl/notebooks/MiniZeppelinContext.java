package dev.sparkdl.notebooks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The part of Zeppelin's {@code z} object the notes use: {@code z.show(df)} prints the first rows
 * of a DataFrame as Zeppelin's {@code %table} display text (tab-separated, header first), which
 * Zeppelin renders as a table or chart. Records how many tables were shown, for the test.
 */
public final class MiniZeppelinContext {
    /** Zeppelin's default {@code zeppelin.spark.maxResult}. */
    public static final int DEFAULT_MAX_RESULT = 1000;

    private final PrintStream out;
    private final List<String> shown = new ArrayList<>();

    public MiniZeppelinContext(PrintStream out) {
        this.out = out;
    }

    public void show(Dataset<?> df) {
        show(df, DEFAULT_MAX_RESULT);
    }

    public void show(Dataset<?> df, int maxResult) {
        String[] columns = df.columns();
        List<Row> rows = df.toDF().takeAsList(maxResult + 1);
        StringBuilder table = new StringBuilder("%table ").append(String.join("\t", columns)).append('\n');
        for (Row row : rows.subList(0, Math.min(maxResult, rows.size()))) {
            for (int c = 0; c < columns.length; c++) {
                table.append(c > 0 ? "\t" : "").append(cell(row.get(c)));
            }
            table.append('\n');
        }
        if (rows.size() > maxResult) {
            table.append("\n%html <font color=red>Results are limited by ").append(maxResult).append(".</font>\n");
        }
        out.print(table);
        shown.add(table.toString());
    }

    /** The tables shown so far, as display text. */
    public List<String> shownTables() {
        return List.copyOf(shown);
    }

    private static String cell(Object value) {
        return value == null ? "null" : value.toString().replace('\t', ' ').replace('\n', ' ');
    }
}
