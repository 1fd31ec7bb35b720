package dev.sparkdl.bench.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RingCostModelTest {

    @Test
    void recoversLatencyAndByteCostFromNoisyPoints() {
        RingCostModel truth = new RingCostModel(2e-3, 1.5e-9);
        Random random = new Random(7);
        List<RingCostModel.Measurement> points = new ArrayList<>();
        for (int ranks : new int[] {2, 4}) {
            for (long bytes : new long[] {4L << 20, 16L << 20, 64L << 20, 256L << 20}) {
                double noise = 1 + 0.02 * (random.nextDouble() - 0.5);
                points.add(new RingCostModel.Measurement(ranks, bytes, truth.seconds(ranks, bytes) * noise));
            }
        }
        RingCostModel fitted = RingCostModel.fit(points);
        assertEquals(truth.alphaSeconds(), fitted.alphaSeconds(), 0.1 * truth.alphaSeconds());
        assertEquals(truth.betaSecondsPerByte(), fitted.betaSecondsPerByte(), 0.05 * truth.betaSecondsPerByte());
        assertTrue(RingCostModel.relativeError(fitted, points) < 0.02);
    }

    @Test
    void keepsCostsNonNegativeWhenTimesDoNotGrowWithSize() {
        List<RingCostModel.Measurement> flat = List.of(new RingCostModel.Measurement(2, 1 << 20, 0.100),
                new RingCostModel.Measurement(2, 64 << 20, 0.095), new RingCostModel.Measurement(4, 1 << 20, 0.300));
        RingCostModel fitted = RingCostModel.fit(flat);
        assertTrue(fitted.alphaSeconds() >= 0 && fitted.betaSecondsPerByte() >= 0, fitted.toString());
        assertTrue(fitted.alphaSeconds() > 0, "the time is all latency here: " + fitted);
    }

    @Test
    void aSlowLinkBoundsTheByteCostButAFastOneDoesNotHideTheSoftwareLimit() {
        RingCostModel measured = new RingCostModel(1e-3, 4e-9); // 0.25 GB/s per rank in software
        assertEquals(8.0 / 1e9, measured.onLink(1e9).betaSecondsPerByte(), 1e-15);
        assertEquals(4e-9, measured.onLink(100e9).betaSecondsPerByte(), 1e-15);
        assertEquals(8.0 / 100e9, measured.wireBound(100e9).betaSecondsPerByte(), 1e-15);
        assertEquals(0, measured.seconds(1, 1 << 20));
        assertThrows(IllegalArgumentException.class,
                () -> RingCostModel.fit(List.of(new RingCostModel.Measurement(2, 10, 0.01))));
    }
}
