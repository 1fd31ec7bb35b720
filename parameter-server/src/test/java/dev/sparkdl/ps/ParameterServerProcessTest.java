package dev.sparkdl.ps;

import dev.sparkdl.collective.RankProcess;
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
            rank.stop();
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
            rank.assertFinishedCleanly(60);
            assertEquals("MISMATCHES 0", rank.line("MISMATCHES "), "rank " + rank.rank);
            assertEquals("DONE 4", rank.output.stream().filter(line -> line.startsWith("DONE ")).reduce((a, b) -> b)
                .orElse(null), "rank " + rank.rank + " steps");
            results.add(rank.line("RESULT "));
            rank.assertLinksOver(ipcWithinHost, WORLD_SIZE);
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
        victim.awaitLine("DONE 5", 60);
        victim.assertLinksOver(ipcWithinHost, WORLD_SIZE);
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
        victim.removeAeronDirOfKilled();
    }

    private RankProcess startRank(final int rank, final int length, final int clocks, final long timeoutMs,
        final boolean ipcWithinHost) throws IOException
    {
        return RankProcess.start(rank, ShardProcessMain.class, List.of(rendezvousDir.toString(), Integer.toString(rank),
            Integer.toString(WORLD_SIZE), Integer.toString(length), Integer.toString(clocks), Long.toString(timeoutMs),
            Boolean.toString(ipcWithinHost)));
    }
}
