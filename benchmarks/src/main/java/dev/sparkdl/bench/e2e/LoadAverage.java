package dev.sparkdl.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's one-minute load average from {@code /proc/loadavg}; NaN where there is none. */
public final class LoadAverage {
    private static final Path PROC_LOADAVG = Path.of("/proc/loadavg");

    private LoadAverage() {
    }

    public static double oneMinute() {
        try {
            String line = Files.readString(PROC_LOADAVG).trim();
            return Double.parseDouble(line.substring(0, line.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The CPU model from {@code /proc/cpuinfo}, or "unknown". */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }
}
