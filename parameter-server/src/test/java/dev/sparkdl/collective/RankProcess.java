package dev.sparkdl.collective;

import dev.sparkdl.transport.LinkMedium;
import org.agrona.IoUtil;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rank's JVM, started from a test's class path, and the lines it printed (stdout and stderr). */
public final class RankProcess
{
    public final int rank;
    public final Process process;
    public final List<String> output = new CopyOnWriteArrayList<>();

    private RankProcess(final int rank, final Process process)
    {
        this.rank = rank;
        this.process = process;
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = in.readLine()))
                {
                    output.add(line);
                }
            }
            catch (final IOException ignore)
            {
                // The process is gone.
            }
        }, "rank-" + rank + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Run {@code mainClass} with {@code args} in a small JVM with the reactor's Java 17 options. */
    public static RankProcess start(final int rank, final Class<?> mainClass, final List<String> args)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final Path options = java17Options();
        if (null != options)
        {
            command.add("@" + options);
        }
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new RankProcess(rank, process);
    }

    /** @return the first line starting with {@code prefix}, or null. */
    public String line(final String prefix)
    {
        for (final String line : output)
        {
            if (line.startsWith(prefix))
            {
                return line;
            }
        }
        return null;
    }

    /** @return the Aeron directory the rank printed as {@code AERON_DIR <dir>}, or null. */
    public String aeronDir()
    {
        final String line = line("AERON_DIR ");
        return null == line ? null : line.substring("AERON_DIR ".length());
    }

    /** Wait until the rank printed {@code line}, failing the test after {@code seconds}. */
    public void awaitLine(final String line, final long seconds) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!output.contains(line) && System.nanoTime() - deadlineNs < 0)
        {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertTrue(output.contains(line), "rank " + rank + " never printed " + line + ": " + output);
    }

    /** Assert the rank exited 0 within {@code seconds}, closed every client on other drivers and removed its own. */
    public void assertFinishedCleanly(final long seconds) throws InterruptedException
    {
        assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "rank " + rank + " did not finish");
        assertEquals(0, process.exitValue(), "rank " + rank + " output: " + output);
        assertEquals("CO_LOCATED_CLIENTS 0", line("CO_LOCATED_CLIENTS "), output.toString());
        assertNotNull(aeronDir(), output.toString());
        assertFalse(new File(aeronDir()).exists(), "rank " + rank + " left " + aeronDir());
    }

    /** Assert the rank printed {@code MEDIA ...} reaching each of the other ranks over the expected medium. */
    public void assertLinksOver(final boolean ipcWithinHost, final int worldSize)
    {
        final String media = line("MEDIA ");
        final String expected = "over " + (ipcWithinHost ? LinkMedium.IPC_ON_HOST : LinkMedium.UDP).label();
        assertNotNull(media, output.toString());
        assertEquals(worldSize - 1, media.split(expected, -1).length - 1, "rank " + rank + " links: " + media);
    }

    /** A SIGKILLed JVM cannot clean up after itself: remove the Aeron directory it left. */
    public void removeAeronDirOfKilled() throws InterruptedException
    {
        process.waitFor(10, TimeUnit.SECONDS);
        IoUtil.delete(new File(aeronDir()), true);
    }

    /** Kill the JVM if it still runs and wait (a while) for it to go. */
    public void stop() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The reactor's Java 17 options file (Spark's --add-opens), found from the working directory up. */
    private static Path java17Options()
    {
        for (Path dir = Path.of("").toAbsolutePath(); null != dir; dir = dir.getParent())
        {
            final Path candidate = dir.resolve("conf").resolve("java17.options");
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
