package dev.sparkdl.spark;

import java.util.Locale;

/**
 * One progress report from rank 0 to the driver, as one tab-separated text line (never a Java
 * object): an epoch's end, or a live update within it.
 */
record ProgressEvent(boolean epochEnd, int epoch, int step, int stepsPerEpoch, double loss, long samples,
                     double seconds) {

    String encode() {
        return String.format(Locale.ROOT, "%s\t%d\t%d\t%d\t%s\t%d\t%s", epochEnd ? "E" : "S", epoch, step,
                stepsPerEpoch, Double.toString(loss), samples, Double.toString(seconds));
    }

    /** Parses a line; throws IllegalArgumentException for anything malformed. */
    static ProgressEvent decode(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 7 || !(f[0].equals("E") || f[0].equals("S"))) {
            throw new IllegalArgumentException("malformed progress line: " + line);
        }
        try {
            return new ProgressEvent(f[0].equals("E"), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                    Integer.parseInt(f[3]), Double.parseDouble(f[4]), Long.parseLong(f[5]), Double.parseDouble(f[6]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed progress line: " + line, e);
        }
    }

    double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : 0;
    }
}
