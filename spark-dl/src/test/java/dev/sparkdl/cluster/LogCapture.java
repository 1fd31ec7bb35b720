package dev.sparkdl.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** The driver's spark-dl fit log lines (BarrierTrainer, INFO and up) while it is open. */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    /** BarrierTrainer's line at the start of every attempt. */
    static final Pattern ATTEMPT = Pattern.compile("(spark-dl-fit-[0-9a-f-]+) attempt (\\d+): (\\S+) on (\\d+) ranks, "
            + "exchange timeout (\\d+) ms, progress at ([^,]+), secret fingerprint ([0-9a-f]+)");
    static final Pattern RESUMED = Pattern.compile("resuming from the checkpoint after epoch \\d+ \\+ \\d+ steps "
            + "\\(step (\\d+)\\)");

    private final Logger logger;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger) {
        super("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        this.logger = logger;
    }

    static LogCapture barrierTrainer() {
        Logger logger = (Logger) LogManager.getLogger("dev.sparkdl.spark.BarrierTrainer");
        LogCapture capture = new LogCapture(logger);
        capture.start();
        logger.addAppender(capture);
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        lines.add(event.getMessage().getFormattedMessage());
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    List<Matcher> matches(Pattern pattern) {
        List<Matcher> out = new ArrayList<>();
        for (String line : lines) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                out.add(m);
            }
        }
        return out;
    }

    /** The driver ports the captured attempts listened on for progress. */
    List<Integer> progressPorts() {
        List<Integer> ports = new ArrayList<>();
        for (Matcher m : matches(ATTEMPT)) {
            String endpoint = m.group(6);
            int colon = endpoint.lastIndexOf(':');
            if (colon > 0) {
                ports.add(Integer.parseInt(endpoint.substring(colon + 1)));
            }
        }
        return ports;
    }

    @Override
    public void close() {
        logger.removeAppender(this);
        stop();
    }
}
