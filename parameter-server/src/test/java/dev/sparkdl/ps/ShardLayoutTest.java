package dev.sparkdl.ps;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ShardLayoutTest
{
    @Test
    void shouldCutOnlyAtAllowedBoundariesNearEqualShares()
    {
        final ShardLayout layout = ShardLayout.balanced(103, new long[] {60, 70, 100}, 2);
        assertEquals(2, layout.shards());
        assertEquals(60, layout.to(0));
        assertEquals(103, layout.to(1));
        final ShardLayout sparse = ShardLayout.balanced(100, new long[] {90}, 3);
        assertEquals(100, sparse.length(0) + sparse.length(1) + sparse.length(2));
        assertEquals(0, sparse.from(0));
        assertEquals(ShardLayout.of(0, 25, 50, 75, 100).toString(), ShardLayout.even(100, 4).toString());
    }
}
