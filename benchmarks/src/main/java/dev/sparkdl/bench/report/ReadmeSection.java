package dev.sparkdl.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A benchmark's results section of {@code benchmarks/README.md}: the text between
 * {@code <!-- NAME-results:begin -->} and {@code <!-- NAME-results:end -->}, rewritten by each run; the
 * markers and section are appended when absent.
 */
public final class ReadmeSection {
    public static final Path README = Path.of("benchmarks", "README.md");

    private ReadmeSection() {
    }

    public static void replace(Path readme, String name, String section) throws IOException {
        String begin = "<!-- " + name + "-results:begin -->";
        String end = "<!-- " + name + "-results:end -->";
        String body = begin + "\n" + section + (section.endsWith("\n") ? "" : "\n") + end;
        String text = Files.exists(readme) ? Files.readString(readme) : "";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from >= 0 && to > from) {
            text = text.substring(0, from) + body + text.substring(to + end.length());
        } else {
            text = text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\n" + body + "\n";
        }
        Files.writeString(readme, text);
    }
}
