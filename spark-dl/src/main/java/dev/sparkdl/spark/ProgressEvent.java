package dev.sparkdl.spark;

import java.util.Locale;

/**
 * One progress report from rank 0 to the driver, as one tab-separated text line (never a Java
 * object): an epoch's end (with its exchange and validation figures), or a live update within it.
 */
record ProgressEvent(boolean epochEnd, int epoch, int step, int stepsPerEpoch, double loss, long samples,
                     double seconds, double exchangeSeconds, long bytesExchanged, double validationMetric,
                     double staleness) {
    private static final int FIELDS = 12;

    /** A live update within an epoch. */
    static ProgressEvent live(int epoch, int step, int stepsPerEpoch, double loss, long samples, double seconds) {
        return new ProgressEvent(false, epoch, step, stepsPerEpoch, loss, samples, seconds, 0, 0, Double.NaN, Double.NaN);
    }

    String encode() {
        return String.format(Locale.ROOT, "%s\t%d\t%d\t%d\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t", epochEnd ? "E" : "S", epoch,
                step, stepsPerEpoch, Double.toString(loss), samples, Double.toString(seconds),
                Double.toString(exchangeSeconds), bytesExchanged, Double.toString(validationMetric),
                Double.toString(staleness));
    }

    /** Parses a line; throws IllegalArgumentException for anything malformed. */
    static ProgressEvent decode(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != FIELDS || !(f[0].equals("E") || f[0].equals("S"))) {
            throw new IllegalArgumentException("malformed progress line: " + line);
        }
        try {
            return new ProgressEvent(f[0].equals("E"), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                    Integer.parseInt(f[3]), Double.parseDouble(f[4]), Long.parseLong(f[5]), Double.parseDouble(f[6]),
                    Double.parseDouble(f[7]), Long.parseLong(f[8]), Double.parseDouble(f[9]),
                    Double.parseDouble(f[10]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed progress line: " + line, e);
        }
    }

    double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : 0;
    }
}
