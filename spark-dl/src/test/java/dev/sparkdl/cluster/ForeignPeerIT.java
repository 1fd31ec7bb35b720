package dev.sparkdl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sparkdl.TestData;
import dev.sparkdl.codec.HelloFlyweight;
import dev.sparkdl.ml.DL4JClassificationModel;
import dev.sparkdl.ml.DL4JClassifier;
import dev.sparkdl.transport.Channels;
import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.LinkMedium;
import dev.sparkdl.transport.MediaDriverHandle;
import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.ExclusivePublication;

/**
 * A process that is not part of a fit (this test JVM: the Spark driver runs no rank) attacks a fit
 * running on the cluster. It learns the UDP ports the executor JVMs listen on (/proc, as any local
 * user can) and, as the worst case, the Aeron stream ids of their subscriptions (from the counters in
 * the executors' Aeron directories, which only their own user can read), then, through its own media
 * driver, sends each of them a hello with a forged MAC claiming to be rank 1 and junk after it; and, as
 * a process of the same user can, publishes the same over IPC straight into each executor's own driver
 * (the way co-located ranks link). The fit must complete with one attempt and full accuracy, and the
 * forged peer must be refused.
 */
class ForeignPeerIT {
    private static final int EPOCHS = 4;
    // The executors of one host link over IPC: their UDP subscriptions (open for other hosts) share the
    // stream ids of the IPC ones.
    private static final Pattern SUBSCRIBER = Pattern.compile("^sub-pos: -?\\d+ -?\\d+ (-?\\d+) aeron:(?:udp|ipc)");

    @RegisterExtension
    static final ClusterExtension CLUSTER = new ClusterExtension(2);

    private static ClusterFixture fixture;

    @BeforeAll
    static void open() throws Exception {
        fixture = ClusterFixture.open(CLUSTER, 53);
    }

    @AfterAll
    static void release() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"allreduce", "parameter-server"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aForeignProcessCannotJoinAFitOrInjectGradients(String mode) throws Exception {
        StandaloneCluster cluster = CLUSTER.cluster();
        String appId = fixture.spark.sparkContext().applicationId();
        Path checkpoints = cluster.scratch("foreign-" + mode);
        // Rank 0 pauses in the write of checkpoint 10 (its peer waits in the exchange) until the attack is over.
        Files.writeString(checkpoints.resolve(FaultyFileSystem.CONTROL), "pause 10");
        int logFrom = fixture.log.lines().size();
        DL4JClassifier classifier = new DL4JClassifier().setNetwork(TestData.mlp(ClusterFixture.WIDTH, 16, ClusterFixture.CLASSES, 5))
                .setEpochs(EPOCHS).setBatchSize(32).setNumWorkers(2).setTrainingMode(mode)
                .setCheckpointDir(FaultyFileSystem.SCHEME + "://" + checkpoints).setCheckpointInterval(5);
        CompletableFuture<DL4JClassificationModel> fit = CompletableFuture.supplyAsync(() -> classifier.fit(fixture.train));

        // Attack once the ranks have connected and trained ten steps; whatever happens, release rank 0.
        int connected;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
            while (!FaultyFileSystem.held(checkpoints) && !fit.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(FaultyFileSystem.held(checkpoints), mode + ": rank 0 never reached checkpoint 10");
            // The executors running this fit's ranks: those with an Aeron directory now.
            List<Long> pids = cluster.executors().stream().filter(e -> e.appId().equals(appId))
                    .map(StandaloneCluster.ExecutorProcess::pid).filter(pid -> Files.exists(aeronDir(pid))).toList();
            assertEquals(2, pids.size(), mode + ": executors with an Aeron directory");
            // Other local users cannot even read their Aeron files (stream and session ids, gradients).
            for (long pid : pids) {
                assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(aeronDir(pid)),
                        aeronDir(pid).toString());
            }
            connected = attack(cluster.scratch("attacker-" + mode), pids);
        } finally {
            Files.writeString(checkpoints.resolve(FaultyFileSystem.RELEASE), "go");
        }

        DL4JClassificationModel model = fit.get(150, TimeUnit.SECONDS);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(fixture.test));
        System.err.printf("[ForeignPeerIT] %s: %d forged publications connected to executor subscriptions "
                + "(UDP and IPC); fit accuracy %.4f%n", mode, connected, accuracy);
        assertTrue(connected > 0, mode + ": the forged peer reached no subscription of the fit");
        List<String> lines = fixture.log.lines();
        assertEquals(1, lines.subList(logFrom, lines.size()).stream()
                .filter(l -> LogCapture.ATTEMPT.matcher(l).find()).count(), mode + ": the fit needed a retry: " + lines);
        assertTrue(accuracy >= 0.95, mode + ": accuracy " + accuracy);
        assertEquals(EPOCHS, model.trainingHistory().size());
        String executorLogs = cluster.executorLogs(appId);
        // Two executors of one host: their ranks link over IPC through each other's drivers.
        assertTrue(executorLogs.contains("over " + LinkMedium.IPC_ON_HOST.label())
                && !executorLogs.contains("over " + LinkMedium.UDP.label()),
                mode + ": the executors did not link over IPC");
        if (mode.equals("parameter-server")) {
            // A shard reads the first message of every new image, and refuses one without a valid hello.
            assertTrue(executorLogs.contains("refused the parameter-server peer"),
                    "no executor logged refusing the forged peer");
        }
        // (The ring reads only the two images whose hello proved the secret; the replicas ended identical,
        // which the driver checks on every allreduce fit.)
        fixture.assertClean(List.of());
    }

    /**
     * Sends forged hellos and junk to every (UDP port, stream) of the executors and over IPC into each
     * executor's driver on each stream; returns connections made (at least one of each kind, or it fails).
     */
    private static int attack(Path attackerDir, List<Long> pids) throws Exception {
        Set<Integer> ports = new TreeSet<>();
        Set<Integer> streams = new TreeSet<>();
        for (long pid : pids) {
            ports.addAll(udpPorts(pid));
            streams.addAll(subscriptionStreams(pid));
        }
        assertTrue(!ports.isEmpty() && !streams.isEmpty(), "found no UDP port or stream of " + pids + ": ports "
                + ports + ", streams " + streams);
        CollectiveContext context = new CollectiveContext().aeronDirectoryName(attackerDir.resolve("aeron").toString());
        int connected = 0;
        List<ExclusivePublication> publications = new ArrayList<>();
        List<ExclusivePublication> ipcPublications = new ArrayList<>();
        List<Aeron> executorDrivers = new ArrayList<>();
        try (MediaDriverHandle driver = MediaDriverHandle.acquire(context)) {
            for (int port : ports) {
                for (int stream : streams) {
                    publications.add(driver.aeron().addExclusivePublication(
                            Channels.udpPublication(context, "127.0.0.1:" + port, 64 * 1024, 1408), stream));
                }
            }
            for (long pid : pids) {
                Aeron executorDriver = Aeron.connect(new Aeron.Context()
                        .aeronDirectoryName(MediaDriverHandle.driverDirectory(aeronDir(pid).toString())));
                executorDrivers.add(executorDriver);
                for (int stream : streams) {
                    ipcPublications.add(executorDriver.addExclusivePublication(
                            Channels.ipcPublication(64 * 1024, 1408), stream));
                }
            }
            publications.addAll(ipcPublications);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Set<ExclusivePublication> sent = new HashSet<>();
            UnsafeBuffer hello = new UnsafeBuffer(new byte[HelloFlyweight.LENGTH]);
            UnsafeBuffer junk = new UnsafeBuffer(new byte[1024]);
            while (sent.size() < publications.size() && System.nanoTime() < deadline) {
                for (ExclusivePublication publication : publications) {
                    if (sent.contains(publication) || !publication.isConnected()) {
                        continue;
                    }
                    for (int link : new int[] {HelloFlyweight.LINK_DATA, HelloFlyweight.LINK_PS_REQUEST}) {
                        new HelloFlyweight().wrapForEncode(hello, 0, 1).receiverRank(0).worldSize(2).link(link)
                                .mac(new byte[HelloFlyweight.MAC_LENGTH]);
                        publication.offer(hello, 0, HelloFlyweight.LENGTH);
                    }
                    for (int i = 0; i < 16; i++) {
                        junk.setMemory(0, junk.capacity(), (byte) i);
                        publication.offer(junk, 0, junk.capacity());
                    }
                    sent.add(publication);
                    connected++;
                }
                Thread.sleep(10);
            }
            Thread.sleep(1000); // let the frames arrive before the publications close
            assertTrue(sent.stream().anyMatch(ipcPublications::contains), "no forged IPC publication connected");
            assertTrue(sent.stream().anyMatch(p -> !ipcPublications.contains(p)), "no forged UDP publication connected");
        } finally {
            publications.forEach(ExclusivePublication::close);
            executorDrivers.forEach(Aeron::close);
        }
        return connected;
    }

    /** The local ports of the UDP sockets a process holds, as any local user can list them. */
    static Set<Integer> udpPorts(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closed) {
                    // gone while listing
                }
            }
        }
        Set<Integer> ports = new TreeSet<>();
        for (String table : List.of("udp", "udp6")) {
            Path file = Path.of("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 9 && inodes.contains(fields[9])) {
                    String local = fields[1];
                    ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    static Path aeronDir(long pid) {
        return Path.of("/dev/shm", "spark-dl-aeron-" + pid);
    }

    /** Stream ids of the UDP subscriptions in the process's Aeron directory, read off its counters. */
    static Set<Integer> subscriptionStreams(long pid) {
        File cnc = new File(aeronDir(pid).resolve("driver").toFile(), CncFileDescriptor.CNC_FILE);
        Set<Integer> streams = new TreeSet<>();
        if (!cnc.exists()) {
            return streams;
        }
        MappedByteBuffer buffer = IoUtil.mapExistingFile(cnc, "cnc");
        try {
            DirectBuffer meta = CncFileDescriptor.createMetaDataBuffer(buffer);
            CountersReader counters = new CountersReader(CncFileDescriptor.createCountersMetaDataBuffer(buffer, meta),
                    CncFileDescriptor.createCountersValuesBuffer(buffer, meta));
            counters.forEach((counterId, typeId, key, label) -> {
                Matcher m = SUBSCRIBER.matcher(label);
                if (m.find()) {
                    streams.add(Integer.parseInt(m.group(1)));
                }
            });
        } finally {
            IoUtil.unmap(buffer);
        }
        return streams;
    }
}
