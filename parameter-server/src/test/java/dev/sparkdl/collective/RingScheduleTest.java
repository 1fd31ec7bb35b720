package dev.sparkdl.collective;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingScheduleTest
{
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldCoverEveryElementOnceAndForwardWhatWasJustReceived()
    {
        for (int worldSize = 2; worldSize <= 8; worldSize++)
        {
            for (final long count : new long[]{0, 1, worldSize - 1, 1000 + worldSize, 12_345})
            {
                final RingSchedule schedule = new RingSchedule(1 % worldSize, worldSize);
                schedule.reset(count, 100);
                long covered = 0;
                for (int segment = 0; segment < worldSize; segment++)
                {
                    assertEquals(covered, schedule.segmentStart(segment));
                    long inChunks = 0;
                    for (int c = 0; c < schedule.chunkCount(segment); c++)
                    {
                        assertEquals(schedule.segmentStart(segment) + inChunks, schedule.chunkStart(segment, c));
                        inChunks += schedule.chunkLength(segment, c);
                    }
                    assertEquals(schedule.segmentLength(segment), inChunks);
                    assertTrue(Math.abs(schedule.segmentLength(segment) - count / worldSize) <= 1);
                    covered += schedule.segmentLength(segment);
                }
                assertEquals(count, covered);
                for (int step = 1; step < schedule.steps(); step++)
                {
                    assertEquals(schedule.recvSegment(step - 1), schedule.sendSegment(step), "pipeline");
                }
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldReceiveInTheOrderPrevSendsAndNeverDeadlock()
    {
        for (int worldSize = 2; worldSize <= 8; worldSize++)
        {
            // 12,345 elements in chunks of 100: segments of 15-16 chunks, longer than the waves' lag; whole
            // chunks per segment plus one: segment 0 has a chunk more, so sends and receives differ in number.
            for (final long count : new long[]{0, 1, worldSize - 1, 1000 + worldSize, 12_345, worldSize * 100L + 1,
                worldSize * 1600L + 1})
            {
                final RingSchedule[] ranks = new RingSchedule[worldSize];
                for (int r = 0; r < worldSize; r++)
                {
                    ranks[r] = new RingSchedule(r, worldSize);
                    ranks[r].reset(count, 100);
                }
                for (int r = 0; r < worldSize; r++)
                {
                    final RingSchedule me = ranks[r];
                    final RingSchedule prev = ranks[(r + worldSize - 1) % worldSize];
                    assertEquals(prev.sendTransfers(), me.recvTransfers());
                    for (int i = 0; i < me.recvTransfers(); i++)
                    {
                        // What prev sends i-th is what this rank expects i-th: step, chunk and segment.
                        assertEquals(prev.sendStep(i), me.recvStep(i), "step of transfer " + i);
                        assertEquals(prev.sendChunk(i), me.recvChunk(i), "chunk of transfer " + i);
                        assertEquals(prev.sendSegment(prev.sendStep(i)), me.recvSegment(me.recvStep(i)));
                        // Each (step, chunk) once: recvPosition inverts the order.
                        assertEquals(i, me.recvPosition(me.recvStep(i), me.recvChunk(i)));
                    }
                    for (int i = 1; i < me.sendTransfers(); i++)
                    {
                        // Waves never go back (a chunk depends only on one of an earlier wave).
                        assertTrue(wave(me.sendStep(i - 1), me.sendChunk(i - 1)) <=
                            wave(me.sendStep(i), me.sendChunk(i)), "rank " + r + " send " + i);
                    }
                    // Every chunk of every step is sent exactly once.
                    int expected = 0;
                    for (int g = 0; g < me.steps(); g++)
                    {
                        expected += me.chunkCount(me.sendSegment(g));
                    }
                    assertEquals(expected, me.sendTransfers());
                }
                assertEquals(0, stuckRanks(ranks), worldSize + " ranks, " + count + " elements");
                if (count == worldSize * 100L + 1 && worldSize > 2)
                {
                    // Rank 0 sends segment 0 (two chunks) twice and receives it once: one chunk more out than in.
                    assertEquals(ranks[0].recvTransfers() + 1, ranks[0].sendTransfers());
                }
            }
        }
    }

    private static int wave(final int step, final int chunk)
    {
        return chunk + step * RingSchedule.WAVE_LAG;
    }

    /** Runs the ring's readiness rule on every rank until nothing moves: how many ranks did not finish. */
    private static int stuckRanks(final RingSchedule[] ranks)
    {
        final int n = ranks.length;
        final int[] sent = new int[n];
        for (boolean moved = true; moved; )
        {
            moved = false;
            for (int r = 0; r < n; r++)
            {
                final RingSchedule me = ranks[r];
                final int received = sent[(r + n - 1) % n];
                while (sent[r] < me.sendTransfers() && (me.sendStep(sent[r]) == 0 ||
                    received > me.recvPosition(me.sendStep(sent[r]) - 1, me.sendChunk(sent[r]))))
                {
                    sent[r]++;
                    moved = true;
                }
            }
        }
        int stuck = 0;
        for (int r = 0; r < n; r++)
        {
            stuck += sent[r] == ranks[r].sendTransfers() ? 0 : 1;
        }
        return stuck;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldLayOutAgainOnlyWhenTheLengthOrChunkChanges()
    {
        final int worldSize = 5;
        final RingSchedule reused = new RingSchedule(2, worldSize);
        final long[][] layouts = {{12_345, 100}, {12_345, 100}, {777, 100}, {12_345, 64}, {12_345, 100}, {0, 100}};
        for (final long[] layout : layouts)
        {
            reused.reset(layout[0], (int)layout[1]);
            final RingSchedule fresh = new RingSchedule(2, worldSize);
            fresh.reset(layout[0], (int)layout[1]);
            assertEquals(fresh.sendTransfers(), reused.sendTransfers(), "sends for " + layout[0] + "/" + layout[1]);
            assertEquals(fresh.recvTransfers(), reused.recvTransfers(), "receives for " + layout[0] + "/" + layout[1]);
            final java.util.Set<Long> sent = new java.util.HashSet<>();
            for (int i = 0; i < fresh.sendTransfers(); i++)
            {
                assertEquals(fresh.sendStep(i), reused.sendStep(i));
                assertEquals(fresh.sendChunk(i), reused.sendChunk(i));
                assertTrue(reused.sendChunk(i) < reused.chunkCount(reused.sendSegment(reused.sendStep(i))));
                assertTrue(sent.add((long)reused.sendStep(i) << 32 | reused.sendChunk(i)), "sent twice");
            }
            for (int i = 0; i < fresh.recvTransfers(); i++)
            {
                assertEquals(fresh.recvStep(i), reused.recvStep(i));
                assertEquals(fresh.recvChunk(i), reused.recvChunk(i));
                assertEquals(i, reused.recvPosition(reused.recvStep(i), reused.recvChunk(i)));
            }
        }
    }
}
