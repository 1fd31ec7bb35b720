package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.sparkdl.train.EpochRecord;

@Timeout(30)
class ProgressTest {

    private static void await(List<?> events, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (events.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    void shouldDeliverEpochLinesFromRankZeroToTheDriver() throws Exception {
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        try (ProgressServer server = ProgressServer.start("127.0.0.1", "token-1", events::add);
             ProgressClient client = ProgressClient.connect(server.endpoint(), "token-1")) {
            client.epochFinished(new EpochRecord(1, 469, 0.52, 60_000, 8.0, 0.5));
            client.epochFinished(new EpochRecord(2, 938, 0.39, 60_000, 7.5, 0.4));
            await(events, 2);
        }
        assertEquals(2, events.size());
        assertEquals(2, events.get(1).epoch());
        assertEquals(938, events.get(1).step());
        assertEquals(0.39, events.get(1).loss());
        assertEquals(8000.0, events.get(1).samplesPerSecond(), 1e-9);
        assertTrue(events.get(0).epochEnd());
    }

    @Test
    void shouldRefuseAWrongTokenAndIgnoreMalformedLines() throws Exception {
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        try (ProgressServer server = ProgressServer.start("127.0.0.1", "right", events::add)) {
            String[] hostPort = server.endpoint().split(":");
            try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
                 Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8)) {
                out.write("wrong\n" + new ProgressEvent(true, 1, 1, 1, 0.5, 10, 1.0, 0, 0, Double.NaN, Double.NaN).encode() + "\n");
                out.flush();
            }
            try (ProgressClient client = ProgressClient.connect(server.endpoint(), "right")) {
                client.epochFinished(new EpochRecord(3, 3, 0.25, 30, 1.0, 0.1));
                await(events, 1);
            }
        }
        assertEquals(1, events.size());
        assertEquals(3, events.get(0).epoch());
    }

    @Test
    void shouldRoundTripAndRejectEventLines() {
        ProgressEvent live = ProgressEvent.live(2, 100, 469, 0.4321, 12_800, 1.5);
        ProgressEvent end = new ProgressEvent(true, 2, 938, 469, 0.4, 60_000, 7.5, 0.25, 1_000_000, 0.87, 1.5);
        assertEquals(end, ProgressEvent.decode(end.encode()));
        assertEquals(live, ProgressEvent.decode(live.encode()));
        assertThrows(IllegalArgumentException.class, () -> ProgressEvent.decode("S\t1\tx\t3\t0.1\t1\t1\t0\t0\tNaN\tNaN\t"));
        assertThrows(IllegalArgumentException.class, () -> ProgressEvent.decode("X\t1\t2\t3\t0.1\t1\t1\t0\t0\tNaN\tNaN\t"));
        assertEquals("1:05", FitProgress.clock(65));
        assertEquals("1:01:01", FitProgress.clock(3661));
    }

    @Test
    void shouldKeepTrainingWhenTheDriverIsUnreachable() {
        try (ProgressClient client = ProgressClient.connect("127.0.0.1:1", "t")) {
            assertFalse(client.connected());
            assertDoesNotThrow(() -> client.epochFinished(new EpochRecord(1, 1, 0.1, 1, 1, 0)));
        }
    }
}
