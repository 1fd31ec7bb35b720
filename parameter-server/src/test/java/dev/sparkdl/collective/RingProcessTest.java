package dev.sparkdl.collective;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
            rank.stop();
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
            ranks.add(startRank(rank, 300_007, 3, 10_000, ipcWithinHost));
        }
        final List<String> results = new ArrayList<>();
        for (final RankProcess rank : ranks)
        {
            rank.assertFinishedCleanly(60);
            results.add(rank.line("RESULT "));
            rank.assertLinksOver(ipcWithinHost, WORLD_SIZE);
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
            ranks.add(startRank(rank, 1_000_000, 100_000, timeoutMs, ipcWithinHost));
        }
        final RankProcess victim = ranks.get(1);
        victim.awaitLine("DONE 5", 60);
        victim.assertLinksOver(ipcWithinHost, WORLD_SIZE);
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
            final String dir = survivor.aeronDir();
            assertFalse(new File(dir).exists(), "rank " + survivor.rank + " left " + dir);
        }
        victim.removeAeronDirOfKilled();
    }

    private RankProcess startRank(final int rank, final int elementCount, final int iterations, final long timeoutMs,
        final boolean ipcWithinHost) throws IOException
    {
        return RankProcess.start(rank, RingProcessMain.class, List.of(rendezvousDir.toString(), Integer.toString(rank),
            Integer.toString(WORLD_SIZE), HexFormat.of().formatHex(TestContexts.SECRET), Integer.toString(elementCount),
            Integer.toString(iterations), Long.toString(timeoutMs), Boolean.toString(ipcWithinHost)));
    }
}
