package dev.sparkdl.ps;

import dev.sparkdl.collective.RankProcess;
import dev.sparkdl.transport.LinkMedium;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parameter-server ranks as separate JVMs, each with its own embedded media driver, linked over UDP on
 * 127.0.0.1 or over IPC through each other's drivers (co-located executors).
 */
class ParameterServerProcessTest
{
    private static final int WORLD_SIZE = 3;
    private final List<RankProcess> ranks = new ArrayList<>();

    @TempDir
    Path rendezvousDir;

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
    void shouldPushAndPullExactParametersAcrossProcessesAndRemoveDriverDirectories(final boolean ipcWithinHost)
        throws Exception
    {
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ranks.add(startRank(rank, 30_001, 4, 10_000, ipcWithinHost));
        }
        final List<String> results = new ArrayList<>();
        for (final RankProcess rank : ranks)
        {
            assertTrue(rank.process.waitFor(60, TimeUnit.SECONDS), "rank " + rank.rank + " did not finish");
            assertEquals(0, rank.process.exitValue(), "rank " + rank.rank + " output: " + rank.output);
            assertEquals("MISMATCHES 0", rank.line("MISMATCHES "), "rank " + rank.rank);
            assertEquals("DONE 4", rank.output.stream().filter(line -> line.startsWith("DONE ")).reduce((a, b) -> b)
                .orElse(null), "rank " + rank.rank + " steps");
            results.add(rank.line("RESULT "));
            assertLinksOver(rank, ipcWithinHost);
            assertEquals("CO_LOCATED_CLIENTS 0", rank.line("CO_LOCATED_CLIENTS "), rank.output.toString());
            assertNotNull(rank.aeronDir(), rank.output.toString());
            assertFalse(new File(rank.aeronDir()).exists(), "rank " + rank.rank + " left " + rank.aeronDir());
        }
        assertNotNull(results.get(0));
        assertEquals(1, results.stream().distinct().count(), "replicas differ: " + results);
    }

    @ParameterizedTest(name = "ipcWithinHost={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldFailSurvivorsNamingARankKilledMidRun(final boolean ipcWithinHost) throws Exception
    {
        final long timeoutMs = 4_000;
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            ranks.add(startRank(rank, 3_000, 1_000_000, timeoutMs, ipcWithinHost));
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

        final List<RankProcess> survivors = List.of(ranks.get(0), ranks.get(2));
        final long[] failedAfterMs = {-1, -1};
        final long giveUpNs = killedNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs + 10_000);
        while ((failedAfterMs[0] < 0 || failedAfterMs[1] < 0) && System.nanoTime() - giveUpNs < 0)
        {
            for (int s = 0; s < survivors.size(); s++)
            {
                if (failedAfterMs[s] < 0 && null != survivors.get(s).line("ERROR "))
                {
                    failedAfterMs[s] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
                }
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        for (int s = 0; s < survivors.size(); s++)
        {
            final RankProcess survivor = survivors.get(s);
            assertTrue(survivor.process.waitFor(3 * timeoutMs + 10_000, TimeUnit.MILLISECONDS),
                "rank " + survivor.rank + " still running: " + survivor.output);
            assertEquals(2, survivor.process.exitValue(), "rank " + survivor.rank + ": " + survivor.output);
            final String error = survivor.line("ERROR ");
            final String victimEndpoint = survivor.line("ENDPOINT 1 ").substring("ENDPOINT 1 ".length());
            assertTrue(error.startsWith("ERROR dev.sparkdl.collective.CollectiveException 1 "),
                "rank " + survivor.rank + " blamed the wrong rank: " + error);
            assertTrue(error.contains("rank 1 (" + victimEndpoint + ")"), victimEndpoint + " not in " + error);
            System.err.printf("[ParameterServerProcessTest] ipcWithinHost=%s: rank %d failed %d ms after the kill " +
                "(deadline %d ms): %s%n", ipcWithinHost, survivor.rank, failedAfterMs[s], timeoutMs, error);
            assertTrue(failedAfterMs[s] >= 0, "rank " + survivor.rank + " printed no error in time");
            if (ipcWithinHost)
            {
                // Seen from the victim's pid, not from silence reaching the deadline.
                assertTrue(error.contains("its process on this host has exited"), error);
                assertTrue(failedAfterMs[s] < timeoutMs, "rank " + survivor.rank + " failed only after " +
                    failedAfterMs[s] + " ms, the deadline being " + timeoutMs + " ms");
            }
            assertFalse(new File(survivor.aeronDir()).exists(), "rank " + survivor.rank + " left " +
                survivor.aeronDir());
        }
        // A SIGKILLed JVM cannot clean up after itself; remove what it left so the test leaves nothing.
        victim.process.waitFor(10, TimeUnit.SECONDS);
        IoUtil.delete(new File(victim.aeronDir()), true);
    }

    private RankProcess startRank(final int rank, final int length, final int clocks, final long timeoutMs,
        final boolean ipcWithinHost) throws IOException
    {
        return RankProcess.start(rank, ShardProcessMain.class, List.of(rendezvousDir.toString(), Integer.toString(rank),
            Integer.toString(WORLD_SIZE), Integer.toString(length), Integer.toString(clocks), Long.toString(timeoutMs),
            Boolean.toString(ipcWithinHost)));
    }

    private static void assertLinksOver(final RankProcess rank, final boolean ipcWithinHost)
    {
        final String media = rank.line("MEDIA ");
        final String expected = "over " + (ipcWithinHost ? LinkMedium.IPC_ON_HOST : LinkMedium.UDP).label();
        assertNotNull(media, rank.output.toString());
        assertEquals(WORLD_SIZE - 1, media.split(expected, -1).length - 1, "rank " + rank.rank + " links: " + media);
    }
}
