package dev.sparkdl.collective;

import dev.sparkdl.transport.LinkMedium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ranks as separate JVMs, each with its own embedded media driver, linked either over UDP on 127.0.0.1 or
 * over IPC through each other's drivers (co-located ranks, the default).
 */
class RingProcessTest
{
    private static final int WORLD_SIZE = 3;
    private final List<RankProcess> ranks = new ArrayList<>();

    @TempDir
    Path rendezvousDir;

    @BeforeEach
    void noRanksYet()
    {
        ranks.clear();
    }

    @AfterEach
    void killLeftovers() throws InterruptedException
    {
        for (final RankProcess rank : ranks)
        {
            rank.process.destroyForcibly();
            rank.process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "ipcWithinHost={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldSumAcrossProcessesBitIdenticallyAndRemoveDriverDirectories(final boolean ipcWithinHost)
        throws Exception
    {
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ranks.add(RankProcess.start(rendezvousDir, rank, WORLD_SIZE, 300_007, 3, 10_000, ipcWithinHost));
        }
        final List<String> results = new ArrayList<>();
        for (final RankProcess rank : ranks)
        {
            assertTrue(rank.process.waitFor(60, TimeUnit.SECONDS), "rank " + rank.rank + " did not finish");
            assertEquals(0, rank.process.exitValue(), "rank " + rank.rank + " output: " + rank.output);
            results.add(rank.line("RESULT "));
            assertLinksOver(rank, ipcWithinHost);
            assertEquals("CO_LOCATED_CLIENTS 0", rank.line("CO_LOCATED_CLIENTS "), rank.output.toString());
            final String dir = rank.line("AERON_DIR ");
            assertNotNull(dir);
            assertFalse(new File(dir).exists(), "rank " + rank.rank + " left " + dir);
        }
        assertNotNull(results.get(0));
        assertEquals(1, results.stream().distinct().count(), "ranks differ: " + results);
    }

    @ParameterizedTest(name = "ipcWithinHost={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldFailSurvivorsNamingARankKilledMidAllreduce(final boolean ipcWithinHost) throws Exception
    {
        final long timeoutMs = 10_000;
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ranks.add(RankProcess.start(rendezvousDir, rank, WORLD_SIZE, 1_000_000, 100_000, timeoutMs,
                ipcWithinHost));
        }
        final RankProcess victim = ranks.get(1);
        final long waitUntilNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (null == victim.line("DONE 5") && System.nanoTime() - waitUntilNs < 0)
        {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertNotNull(victim.line("DONE 5"), "victim never got going: " + victim.output);
        assertLinksOver(victim, ipcWithinHost);
        victim.process.destroyForcibly();
        final long killedNs = System.nanoTime();

        for (final RankProcess survivor : List.of(ranks.get(0), ranks.get(2)))
        {
            assertTrue(survivor.process.waitFor(timeoutMs + 10_000, TimeUnit.MILLISECONDS),
                "rank " + survivor.rank + " still running: " + survivor.output);
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
            assertEquals(2, survivor.process.exitValue(), "rank " + survivor.rank + ": " + survivor.output);
            final String failed = survivor.line("FAILED ");
            assertTrue(failed.startsWith("FAILED 1 "), "rank " + survivor.rank + " blamed the wrong rank: " + failed);
            assertTrue(failed.contains("rank 1 (127.0.0.1:"), failed);
            System.err.printf("[RingProcessTest] ipcWithinHost=%s: rank %d failed %d ms after the kill: %s%n",
                ipcWithinHost, survivor.rank, tookMs, failed);
            assertTrue(tookMs < timeoutMs + 5_000, "rank " + survivor.rank + " took " + tookMs + " ms");
            if (ipcWithinHost)
            {
                // Seen from the victim's pid, not from its driver's silence (the driver timeout, 10 s).
                assertTrue(failed.contains("its process on this host has exited"), failed);
            }
            final String dir = survivor.line("AERON_DIR ");
            assertFalse(new File(dir).exists(), "rank " + survivor.rank + " left " + dir);
        }
        // A SIGKILLed JVM cannot clean up after itself; remove what it left so the test leaves nothing.
        victim.process.waitFor(10, TimeUnit.SECONDS);
        org.agrona.IoUtil.delete(new File(victim.line("AERON_DIR ")), true);
    }

    private static void assertLinksOver(final RankProcess rank, final boolean ipcWithinHost)
    {
        final String media = rank.line("MEDIA ");
        final String expected = "over " + (ipcWithinHost ? LinkMedium.IPC_ON_HOST : LinkMedium.UDP).label();
        assertNotNull(media, rank.output.toString());
        assertEquals(2, media.split(expected, -1).length - 1, "rank " + rank.rank + " links: " + media);
    }

    /** A rank's JVM and the lines it printed. */
    static final class RankProcess
    {
        final int rank;
        final Process process;
        final List<String> output = new CopyOnWriteArrayList<>();

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

        static RankProcess start(final Path rendezvousDir, final int rank, final int worldSize,
            final int elementCount, final int iterations, final long timeoutMs, final boolean ipcWithinHost)
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
            command.add(RingProcessMain.class.getName());
            command.add(rendezvousDir.toString());
            command.add(Integer.toString(rank));
            command.add(Integer.toString(worldSize));
            command.add(HexFormat.of().formatHex(TestContexts.SECRET));
            command.add(Integer.toString(elementCount));
            command.add(Integer.toString(iterations));
            command.add(Long.toString(timeoutMs));
            command.add(Boolean.toString(ipcWithinHost));
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return new RankProcess(rank, process);
        }

        /** @return the first line starting with {@code prefix}, or null. */
        String line(final String prefix)
        {
            for (final String line : output)
            {
                if (line.startsWith(prefix))
                {
                    return prefix.endsWith(" ") && prefix.equals("AERON_DIR ") ?
                        line.substring(prefix.length()) : line;
                }
            }
            return null;
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
}
