package dev.sparkdl.notebooks;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REPL harness must report what a notebook user would see as a failed paragraph. */
class ScalaReplTest {
    @TempDir
    static Path classes;

    private static ScalaRepl repl;

    @BeforeAll
    static void start() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        repl = new ScalaRepl(classpath, classes);
    }

    @AfterAll
    static void stop() {
        repl.close();
    }

    @Test
    void shouldKeepDefinitionsBetweenParagraphs() {
        assertNull(repl.run("val answer = 6 * 7\ndef twice(x: Int) = 2 * x"));
        assertNull(repl.run("require(twice(answer) == 84)"));
    }

    @Test
    void shouldReportCompileErrors() {
        String failure = repl.run("val broken: Int = \"not a number\"");
        assertNotNull(failure);
        assertTrue(failure.contains("type mismatch"), failure);
    }

    @Test
    void shouldReportRunTimeExceptions() {
        String failure = repl.run("val x = 1\nthrow new IllegalStateException(\"boom in paragraph\")");
        assertNotNull(failure, "a paragraph that throws must fail");
        assertTrue(failure.contains("boom in paragraph"), failure);
    }

    @Test
    void shouldReportIncompleteInput() {
        String failure = repl.run("val open = List(1, 2");
        assertNotNull(failure);
        assertTrue(failure.startsWith("incomplete input"), failure);
    }
}
