package dev.sparkdl.bench.scaling;

import java.util.List;

/**
 * The cost of one ring allreduce of {@code bytes} over {@code n} ranks: 2(n-1) steps, each paying a
 * per-message latency alpha, and 2(n-1)/n of the bytes crossing each rank's link at beta seconds a
 * byte (reduce-scatter then all-gather; Patarasuk and Yuan's bandwidth-optimal bound).
 *
 * @param alphaSeconds       latency of one ring step
 * @param betaSecondsPerByte time per byte moved through one rank
 */
public record RingCostModel(double alphaSeconds, double betaSecondsPerByte) {

    /** One measured allreduce. */
    public record Measurement(int ranks, long bytes, double seconds) {
    }

    public double seconds(int ranks, double bytes) {
        if (ranks < 2) {
            return 0;
        }
        return alphaSeconds * steps(ranks) + betaSecondsPerByte * bytesPerRank(ranks, bytes);
    }

    /** The same latency with a link that moves {@code bitsPerSecond}, where it is slower than this model's byte cost. */
    public RingCostModel onLink(double bitsPerSecond) {
        return new RingCostModel(alphaSeconds, Math.max(betaSecondsPerByte, 8.0 / bitsPerSecond));
    }

    /** Only the wire: this latency, and a byte cost of exactly the link's. */
    public RingCostModel wireBound(double bitsPerSecond) {
        return new RingCostModel(alphaSeconds, 8.0 / bitsPerSecond);
    }

    static double steps(int ranks) {
        return 2.0 * (ranks - 1);
    }

    static double bytesPerRank(int ranks, double bytes) {
        return 2.0 * (ranks - 1) / ranks * bytes;
    }

    /**
     * Least squares on relative error (each point weighted by 1/measured time, so a 5 ms point counts as
     * much as a 500 ms one), with both costs kept non-negative: if the free fit makes one negative, that
     * one is zero and the other is fitted alone.
     */
    public static RingCostModel fit(List<Measurement> points) {
        if (points.size() < 2) {
            throw new IllegalArgumentException("need at least 2 measurements to fit latency and byte cost, got "
                    + points.size());
        }
        double saa = 0, sab = 0, sbb = 0, sat = 0, sbt = 0;
        for (Measurement m : points) {
            if (m.ranks() < 2 || m.seconds() <= 0) {
                throw new IllegalArgumentException("a measurement needs >= 2 ranks and a positive time: " + m);
            }
            double w = 1.0 / m.seconds();
            double a = steps(m.ranks()) * w;
            double b = bytesPerRank(m.ranks(), m.bytes()) * w;
            double t = 1.0;
            saa += a * a;
            sab += a * b;
            sbb += b * b;
            sat += a * t;
            sbt += b * t;
        }
        double det = saa * sbb - sab * sab;
        double alpha = det != 0 ? (sat * sbb - sbt * sab) / det : -1;
        double beta = det != 0 ? (saa * sbt - sab * sat) / det : -1;
        if (alpha >= 0 && beta >= 0) {
            return new RingCostModel(alpha, beta);
        }
        RingCostModel latencyOnly = new RingCostModel(sat / saa, 0);
        RingCostModel bytesOnly = new RingCostModel(0, sbt / sbb);
        return relativeError(latencyOnly, points) <= relativeError(bytesOnly, points) ? latencyOnly : bytesOnly;
    }

    /** Root mean square of (predicted - measured) / measured. */
    public static double relativeError(RingCostModel model, List<Measurement> points) {
        double sum = 0;
        for (Measurement m : points) {
            double e = (model.seconds(m.ranks(), m.bytes()) - m.seconds()) / m.seconds();
            sum += e * e;
        }
        return Math.sqrt(sum / points.size());
    }
}
