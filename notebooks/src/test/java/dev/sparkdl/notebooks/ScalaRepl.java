package dev.sparkdl.notebooks;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;

import scala.collection.JavaConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

/**
 * Scala's REPL engine ({@code IMain}) set up as Zeppelin's Spark interpreter sets it up for Scala
 * 2.12: class-based line wrappers (so closures serialize without dragging the REPL's state along)
 * whose class files go to {@code outputDir}, the directory Spark serves to executors as
 * {@code spark.repl.class.outputDir}.
 */
final class ScalaRepl implements AutoCloseable {
    private final IMain main;
    private final StringWriter transcript = new StringWriter();

    ScalaRepl(String classpath, Path outputDir) {
        Settings settings = new Settings();
        settings.processArgumentString("-Yrepl-class-based -Yrepl-outdir " + outputDir);
        settings.classpath().value_$eq(classpath);
        main = new IMain(settings, new PrintWriter(new Tee(transcript), true));
        main.initializeSynchronous();
    }

    /** Binds {@code value} to {@code name} in the session, as Zeppelin binds spark, sc and z. */
    void bind(String name, Class<?> type, Object value, String... modifiers) {
        Results.Result result = main.bind(name, type.getName(), value,
                JavaConverters.asScalaBuffer(List.of(modifiers)).toList());
        if (result != Results.Success$.MODULE$) {
            throw new IllegalStateException("could not bind " + name + ":\n" + transcript);
        }
    }

    /**
     * Compiles and runs one paragraph with the REPL's class loader as the context class loader.
     * Returns null on success, otherwise what the REPL printed for this paragraph (the compiler's
     * errors, or the exception and its stack trace).
     */
    String run(String code) {
        int mark = transcript.getBuffer().length();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        Results.Result result;
        try {
            thread.setContextClassLoader(main.classLoader());
            result = main.interpret(code);
        } finally {
            thread.setContextClassLoader(previous);
        }
        if (result == Results.Success$.MODULE$) {
            return null;
        }
        String output = transcript.getBuffer().substring(mark);
        return result == Results.Incomplete$.MODULE$ ? "incomplete input (unclosed bracket or string?)\n" + output
                : output;
    }

    @Override
    public void close() {
        main.close();
    }

    /** Keeps the REPL's output for failure messages and echoes it to stdout for the test log. */
    private static final class Tee extends Writer {
        private final StringWriter copy;

        Tee(StringWriter copy) {
            this.copy = copy;
        }

        @Override
        public void write(char[] buffer, int offset, int length) {
            copy.write(buffer, offset, length);
            System.out.print(new String(buffer, offset, length));
        }

        @Override
        public void flush() {
            System.out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
