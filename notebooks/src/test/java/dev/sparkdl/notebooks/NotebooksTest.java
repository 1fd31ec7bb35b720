package dev.sparkdl.notebooks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every {@code %spark} paragraph of every note in {@code notebooks/}, in order, in one Scala
 * REPL session with {@code spark}, {@code sc} and a minimal {@code z} bound (Zeppelin's shared
 * Spark interpreter), and fails on the first compile or run-time error with the note, the
 * paragraph and what the REPL printed. {@code %md} paragraphs are checked to be non-empty; any
 * other interpreter fails the test, so every note stays runnable here.
 */
class NotebooksTest {
    static final String NOTES_DIR_PROPERTY = "sparkdl.notebooks.dir";

    @TempDir
    static Path replClasses;

    private static SparkSession spark;
    private static MiniZeppelinContext z;
    private static ScalaRepl repl;

    @BeforeAll
    static void startInterpreter() {
        spark = SparkSession.builder().master("local[2]").appName("spark-dl notebooks test")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                // As Zeppelin does: executors load the REPL's classes from this directory via the driver.
                .config("spark.repl.class.outputDir", replClasses.toString())
                .getOrCreate();
        z = new MiniZeppelinContext(System.out);
        repl = new ScalaRepl(testClasspath(), replClasses);
        repl.bind("spark", SparkSession.class, spark, "@transient");
        repl.bind("sc", SparkContext.class, spark.sparkContext(), "@transient");
        repl.bind("z", MiniZeppelinContext.class, z, "@transient");
        // Zeppelin's Spark interpreter runs these imports before the first paragraph.
        String failure = repl.run("import spark.implicits._\nimport spark.sql\nimport org.apache.spark.sql.functions._");
        if (failure != null) {
            throw new IllegalStateException("interpreter preamble failed:\n" + failure);
        }
    }

    @AfterAll
    static void stopInterpreter() {
        if (repl != null) {
            repl.close();
        }
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void shouldFindTheNotes() throws IOException {
        List<ZeppelinNote> notes = notes();
        assertTrue(notes.size() >= 4, "expected at least 4 notes in " + notesDir() + ", found " + notes.size());
        for (ZeppelinNote note : notes) {
            assertTrue(note.paragraphs().stream().anyMatch(ZeppelinNote.Paragraph::isMarkdown),
                    note.file() + " has no %md paragraph explaining what it shows");
            assertTrue(note.paragraphs().stream().anyMatch(ZeppelinNote.Paragraph::isScala),
                    note.file() + " has no %spark paragraph");
        }
    }

    @TestFactory
    Stream<DynamicTest> shouldRunEverySparkParagraph() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (ZeppelinNote note : notes()) {
            tests.add(DynamicTest.dynamicTest(note.name(), note.file().toUri(), () -> runNote(note)));
        }
        return tests.stream();
    }

    private static void runNote(ZeppelinNote note) {
        int tablesBefore = z.shownTables().size();
        for (ZeppelinNote.Paragraph paragraph : note.paragraphs()) {
            if (paragraph.isMarkdown()) {
                assertFalse(paragraph.code().isBlank(), note.file() + ": empty %md " + paragraph.label());
                continue;
            }
            if (!paragraph.isScala()) {
                fail(note.file() + ": " + paragraph.label() + " uses %" + paragraph.interpreter()
                        + "; the notes may use only %md and %spark (Scala)");
            }
            System.out.printf("---- %s, %s%n", note.name(), paragraph.label());
            String failure = repl.run(paragraph.code());
            if (failure != null) {
                fail(note.file().getFileName() + ": " + paragraph.label() + " failed:\n" + paragraph.code()
                        + "\n---- REPL output ----\n" + failure);
            }
        }
        System.out.printf("---- %s: %d table(s) shown with z.show%n", note.name(),
                z.shownTables().size() - tablesBefore);
    }

    private static List<ZeppelinNote> notes() throws IOException {
        List<ZeppelinNote> notes = new ArrayList<>();
        try (Stream<Path> files = Files.list(notesDir())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".zpln"))
                    .sorted(Comparator.comparing(Path::toString)).toList()) {
                notes.add(ZeppelinNote.read(file));
            }
        }
        return notes;
    }

    private static Path notesDir() {
        return Path.of(System.getProperty(NOTES_DIR_PROPERTY, "."));
    }

    /** The test's own class path, for the REPL's compiler (surefire may hide it in a manifest jar). */
    private static String testClasspath() {
        String classpath = System.getProperty("surefire.test.class.path");
        if (classpath == null || classpath.isBlank()) {
            classpath = System.getProperty("java.class.path");
        }
        return classpath;
    }
}
