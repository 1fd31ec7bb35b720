package dev.sparkdl.spark;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.ProgressSink;

/**
 * Rank 0's end of live progress: epoch ends always, live step lines at most every few seconds.
 * If the driver cannot be reached, progress is dropped with one warning; training goes on.
 */
final class ProgressClient implements ProgressSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressClient.class);
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    static final long LIVE_INTERVAL_NS = 5_000_000_000L;

    private Socket socket;
    private Writer out;
    private long lastLiveNs = System.nanoTime();
    private int stepsPerEpoch;

    private ProgressClient(Socket socket, Writer out) {
        this.socket = socket;
        this.out = out;
    }

    static ProgressClient connect(String endpoint, String token) {
        if (endpoint.isEmpty()) {
            return new ProgressClient(null, null);
        }
        int colon = endpoint.lastIndexOf(':');
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(endpoint.substring(0, colon),
                    Integer.parseInt(endpoint.substring(colon + 1))), CONNECT_TIMEOUT_MS);
            Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
            out.write(token + "\n");
            out.flush();
            return new ProgressClient(socket, out);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot report progress to the driver at {} ({}); training continues without it", endpoint,
                    e.toString());
            return new ProgressClient(null, null);
        }
    }

    boolean connected() {
        return out != null;
    }

    @Override
    public void epochFinished(EpochRecord record) {
        send(new ProgressEvent(true, record.epoch(), (int) record.step(), stepsPerEpoch, record.trainLoss(),
                record.samples(), record.seconds(), record.exchangeSeconds(), record.bytesExchanged(),
                record.validationMetric(), record.staleness()));
    }

    @Override
    public void stepFinished(int epoch, int step, int stepsPerEpoch, double meanLoss, long samples, double seconds) {
        this.stepsPerEpoch = stepsPerEpoch;
        long now = System.nanoTime();
        if (now - lastLiveNs >= LIVE_INTERVAL_NS && step < stepsPerEpoch) {
            lastLiveNs = now;
            send(ProgressEvent.live(epoch, step, stepsPerEpoch, meanLoss, samples, seconds));
        }
    }

    private void send(ProgressEvent event) {
        if (out == null) {
            return;
        }
        try {
            out.write(event.encode() + "\n");
            out.flush();
        } catch (IOException e) {
            LOG.warn("lost the progress connection to the driver ({}); training continues without it", e.toString());
            close();
        }
    }

    @Override
    public void close() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException e) {
            LOG.debug("closing the progress socket: {}", e.toString());
        }
        socket = null;
        out = null;
    }
}
