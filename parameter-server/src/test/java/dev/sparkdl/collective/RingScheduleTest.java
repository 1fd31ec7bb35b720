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
}
