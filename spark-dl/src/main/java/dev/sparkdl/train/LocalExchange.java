package dev.sparkdl.train;

/** The exchange of a fit with one worker: the local gradient already is the sum. */
public final class LocalExchange implements GradientExchange {

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int workers() {
        return 1;
    }

    @Override
    public void step(NetworkAdapter network, double[] stepStats) {
        int rows = (int) stepStats[STAT_ROWS];
        if (rows > 0) {
            network.applyUpdate(rows);
        }
    }

    @Override
    public void close() {
    }
}
