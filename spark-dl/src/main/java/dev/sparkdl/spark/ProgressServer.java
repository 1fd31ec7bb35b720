package dev.sparkdl.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's end of live progress: rank 0 connects while the barrier stage runs and sends one
 * line per event. The first line must be the fit's token, so nothing else can feed the driver.
 * Progress is best effort: a missing or broken connection never fails the fit.
 */
final class ProgressServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressServer.class);
    private static final int ACCEPT_POLL_MS = 500;
    private static final int READ_TIMEOUT_MS = 1000;

    private final ServerSocket server;
    private final String token;
    private final Consumer<ProgressEvent> listener;
    private final Thread thread;
    private volatile boolean closed;

    private ProgressServer(ServerSocket server, String token, Consumer<ProgressEvent> listener) {
        this.server = server;
        this.token = token;
        this.listener = listener;
        this.thread = new Thread(this::serve, "spark-dl-progress");
        this.thread.setDaemon(true);
    }

    /** Binds to {@code host} (the driver's own address) on a free port and starts listening. */
    static ProgressServer start(String host, String token, Consumer<ProgressEvent> listener) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        socket.setSoTimeout(ACCEPT_POLL_MS);
        ProgressServer server = new ProgressServer(socket, token, listener);
        server.thread.start();
        return server;
    }

    String endpoint() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    private void serve() {
        while (!closed) {
            try (Socket client = server.accept()) {
                client.setSoTimeout(READ_TIMEOUT_MS);
                read(client);
            } catch (SocketTimeoutException e) {
                // Poll again so close() is noticed.
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("progress connection ended: {}", e.toString());
                }
            }
        }
    }

    private void read(Socket client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        String first = readLine(in);
        if (first == null || !MessageDigest.isEqual(first.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8))) {
            LOG.warn("refused a progress connection from {}: wrong token", client.getRemoteSocketAddress());
            return;
        }
        String line;
        while (!closed && (line = readLine(in)) != null) {
            try {
                listener.accept(ProgressEvent.decode(line));
            } catch (IllegalArgumentException e) {
                LOG.warn("ignoring {}", e.getMessage());
            }
        }
    }

    /** A line, or null at end of stream; a read timeout just means "nothing yet". */
    private String readLine(BufferedReader in) throws IOException {
        while (!closed) {
            try {
                return in.readLine();
            } catch (SocketTimeoutException e) {
                // Nothing arrived within the poll; check closed and wait again.
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the progress socket: {}", e.toString());
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
