package dev.sparkdl.notebooks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Zeppelin note ({@code .zpln}: a JSON object with a {@code paragraphs} array whose
 * {@code text} starts with the interpreter, e.g. {@code %md} or {@code %spark}), reduced to what
 * the test needs: the name and the paragraphs in order.
 */
record ZeppelinNote(Path file, String name, List<Paragraph> paragraphs) {

    /** The note's default interpreter group; a paragraph without a {@code %} prefix runs there. */
    static final String DEFAULT_INTERPRETER = "spark";

    /**
     * @param index       position in the note, from 1, as Zeppelin numbers paragraphs
     * @param interpreter the prefix without {@code %} ({@code md}, {@code spark}, ...)
     * @param code        the text after the prefix line
     */
    record Paragraph(int index, String id, String title, String interpreter, String code) {

        /** {@code %spark} and {@code %spark.spark} are Scala; so is a paragraph without a prefix. */
        boolean isScala() {
            return "spark".equals(interpreter) || "spark.spark".equals(interpreter);
        }

        boolean isMarkdown() {
            return "md".equals(interpreter);
        }

        String label() {
            return "paragraph " + index + (title == null || title.isEmpty() ? "" : " '" + title + "'") + " (" + id + ")";
        }
    }

    static ZeppelinNote read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode paragraphs = root.path("paragraphs");
        if (!paragraphs.isArray()) {
            throw new IOException(file + " is not a Zeppelin note: no 'paragraphs' array");
        }
        List<Paragraph> out = new ArrayList<>();
        int index = 0;
        for (JsonNode p : paragraphs) {
            index++;
            String text = p.path("text").asText("");
            String interpreter = DEFAULT_INTERPRETER;
            String code = text;
            String trimmed = text.stripLeading();
            if (trimmed.startsWith("%")) {
                int end = 1;
                while (end < trimmed.length() && !Character.isWhitespace(trimmed.charAt(end))) {
                    end++;
                }
                interpreter = trimmed.substring(1, end);
                code = trimmed.substring(end);
            }
            out.add(new Paragraph(index, p.path("id").asText("?"), p.path("title").asText(""), interpreter, code));
        }
        return new ZeppelinNote(file, root.path("name").asText(file.getFileName().toString()), List.copyOf(out));
    }
}
