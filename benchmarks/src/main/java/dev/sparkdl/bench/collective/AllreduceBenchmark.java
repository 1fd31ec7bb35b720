package dev.sparkdl.bench.collective;

import dev.sparkdl.transport.CollectiveContext;
import dev.sparkdl.transport.LinkMedium;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Allreduce throughput in one run: spark-dl's {@code RingAllreduce} with N ranks as separate JVMs on one host,
 * linked the default way (Aeron IPC through each other's media drivers) and over UDP on 127.0.0.1 (the way
 * ranks on different hosts talk), Spark's {@code treeAggregate} of the same float vectors over N partitions in {@code local[N]},
 * {@code BarrierTaskContext.allGather} of the same bytes in a barrier stage, and the loopback bounds (a
 * direct-buffer memory copy in this JVM, a TCP stream and a UDP stream between two JVMs).
 *
 * <p>Options: {@code --sizes 1M,4M,16M,64M} (M = 2^20 floats), {@code --ranks 2,4}, {@code --warmup 3},
 * {@code --reps 7}, {@code --jit-warmup 300} (sums of 256K floats per ring before anything is timed),
 * {@code --timeout-s 300} (per child JVM), {@code --out benchmarks/results} (benchmarks/README.md's table is
 * rewritten only for this default),
 * {@code --transports ipc,udp} (which links to time the ring over),
 * {@code --compare-threading none} (also time the ring with the driver in that Aeron threading mode, e.g.
 * {@code SHARED}).
 */
public final class AllreduceBenchmark
{
    private static final String DEFAULT_OUT = "benchmarks/results";

    private AllreduceBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        final long[] sizes = Arrays.stream(opts.getOrDefault("sizes", "1M,4M,16M,64M").split(","))
            .mapToLong(AllreduceBenchmark::parseFloats).toArray();
        final int[] rankCounts = Arrays.stream(opts.getOrDefault("ranks", "2,4").split(","))
            .mapToInt(Integer::parseInt).toArray();
        final int warmup = Integer.parseInt(opts.getOrDefault("warmup", "3"));
        final int reps = Integer.parseInt(opts.getOrDefault("reps", "7"));
        final int jitWarmup = Integer.parseInt(opts.getOrDefault("jit-warmup", "300"));
        final long childTimeoutMs = TimeUnit.SECONDS.toMillis(Long.parseLong(opts.getOrDefault("timeout-s", "300")));
        final Path out = Path.of(opts.getOrDefault("out", DEFAULT_OUT));
        final String compareThreading = opts.getOrDefault("compare-threading", "none");
        final List<LinkMedium> transports = links(opts.getOrDefault("transports", "ipc,udp"));
        final boolean compare = !"none".equalsIgnoreCase(compareThreading);
        final String sizesCsv = Arrays.stream(sizes).mapToObj(Long::toString).collect(Collectors.joining(","));

        final String loadStart = loadAverage();
        final Instant started = Instant.now();
        System.out.println("load average at start: " + loadStart);

        // Loopback bounds.
        final Map<Long, Double> memcpyNs = memcpy(sizes, warmup, reps);
        final Map<Long, Double> tcpNs = tcpStream(sizesCsv, warmup, reps, childTimeoutMs);
        final Map<Long, double[]> udp = udpStream(sizesCsv, warmup, reps, childTimeoutMs);
        final Map<Long, Double> tcpBothWaysNs = tcpBothWays(sizesCsv, warmup, reps, childTimeoutMs);

        final List<String[]> rows = new ArrayList<>();
        for (final int n : rankCounts)
        {
            final Map<Long, double[]> sparkNs = spark(n, sizes, warmup, reps);
            for (final LinkMedium transport : transports)
            {
                final List<String> linkOption = List.of(transportOption(transport));
                final Map<Long, double[]> ringNs = ring(n, sizesCsv, warmup, reps, jitWarmup, childTimeoutMs,
                    linkOption, transport);
                final List<String> compareOptions = new ArrayList<>(linkOption);
                compareOptions.add("-D" + CollectiveContext.THREADING_MODE_PROP_NAME + "=" + compareThreading);
                final Map<Long, double[]> compareNs = compare ? ring(n, sizesCsv, warmup, reps, jitWarmup,
                    childTimeoutMs, compareOptions, transport) : Map.of();
                for (final long floats : sizes)
                {
                    final double bytes = floats * (double)Float.BYTES;
                    final double ring = ringNs.get(floats)[0];
                    final double callerCpu = ringNs.get(floats)[1];
                    final double driverCpu = ringNs.get(floats)[2];
                    final double tree = sparkNs.get(floats)[0];
                    final double allGather = sparkNs.get(floats)[1];
                    final double algbw = bytes / ring; // bytes per ns = GB/s
                    final double busbw = algbw * 2.0 * (n - 1) / n;
                    final double memcpyBw = bytes / memcpyNs.get(floats);
                    final double tcpBw = bytes / tcpNs.get(floats);
                    final double udpBw = udp.get(floats)[0];
                    final double socketBound = Math.max(tcpBw, udpBw);
                    final double bothWaysBw = bytes / tcpBothWaysNs.get(floats);
                    rows.add(new String[]{
                        Integer.toString(n), transport.label(), label(floats),
                        Long.toString((long)bytes),
                        f(ring / 1e6), f(algbw), f(busbw), f(callerCpu / 1e6), f(driverCpu / 1e6),
                        compare ? f(compareNs.get(floats)[0] / 1e6) : "-",
                        f(tree / 1e6), f(tree / ring), f(allGather / 1e6), f(allGather / ring),
                        f(memcpyBw), f(tcpBw), f(udpBw), f(100 * udp.get(floats)[1]), f(busbw / socketBound),
                        f(bothWaysBw), f(busbw / bothWaysBw)});
                    System.out.printf(Locale.ROOT, "RESULT ranks=%d links=%s floats=%s ring_ms=%.2f algbw=%.3f " +
                        "busbw=%.3f tree_ms=%.2f speedup=%.2f allGather_ms=%.2f speedup=%.2f memcpy=%.2f tcp=%.3f " +
                        "udp=%.3f busbw/bound=%.2f%n", n, transport.label(), label(floats), ring / 1e6, algbw, busbw,
                        tree / 1e6, tree / ring, allGather / 1e6, allGather / ring, memcpyBw, tcpBw, udpBw,
                        busbw / socketBound);
                }
            }
        }
        final String loadEnd = loadAverage();
        System.out.println("load average at end: " + loadEnd);

        final String[] header = {"ranks", "ring links", "floats", "bytes", "allreduce ms", "algbw GB/s", "busbw GB/s",
            "caller CPU ms", "driver CPU ms",
            "allreduce ms, " + compareThreading + " driver", "treeAggregate ms", "x treeAggregate", "allGather ms", "x allGather", "memcpy GB/s", "TCP GB/s",
            "UDP GB/s", "UDP loss %", "busbw / socket bound", "TCP both ways GB/s per direction",
            "busbw / both-ways bound"};
        Files.createDirectories(out);
        final StringBuilder csv = new StringBuilder(String.join(",", header).replace(" ", "_")
            .replace("/", "per").replace("%", "pct") + ",load_start,load_end\n");
        for (final String[] row : rows)
        {
            csv.append(String.join(",", row)).append(',').append(loadStart.split(" ")[0]).append(',')
                .append(loadEnd.split(" ")[0]).append('\n');
        }
        Files.writeString(out.resolve("allreduce.csv"), csv.toString());

        final StringBuilder md = new StringBuilder();
        md.append("Measured ").append(started).append(" on ").append(Runtime.getRuntime().availableProcessors())
            .append(" cores; load average (1/5/15 min) ").append(loadStart).append(" at the start, ")
            .append(loadEnd).append(" at the end. Median of ").append(reps).append(" timed reps after ")
            .append(warmup).append(" warm-up per size (each ring JVM first ran ").append(jitWarmup)
            .append(" sums of 256K floats for the JIT); M = 2^20 floats; GB/s = 10^9 bytes/s; CPU ms = per sum and ")
            .append("rank (most loaded rank, median): the thread calling `sum`, and the media driver's and Aeron ")
            .append("client's threads; x = that time / allreduce time; socket bound = the faster of the TCP and ")
            .append("UDP streams (one direction, a core per side); both-ways bound = two TCP streams in opposite ")
            .append("directions at once, the slower direction (what a 2-rank ring asks of the 2 cores). Ring links: ")
            .append("IPC through each other's media drivers (the default for ranks on one host), or UDP on ")
            .append("127.0.0.1 (what ranks on different hosts use).\n\n");
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        md.append("---|".repeat(header.length)).append('\n');
        for (final String[] row : rows)
        {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        Files.writeString(out.resolve("allreduce.md"), md.toString());
        System.out.println();
        System.out.print(md);
        if (out.equals(Path.of(DEFAULT_OUT)))
        {
            dev.sparkdl.bench.report.ReadmeSection.replace(dev.sparkdl.bench.report.ReadmeSection.README, "allreduce",
                md.toString());
        }
        System.exit(0);
    }

    // ---------------------------------------------------------------- ring allreduce, N JVMs

    /** @return per size {median wall ns of the slowest rank, median caller CPU ns and driver CPU ns per sum of the busiest rank}. */
    private static Map<Long, double[]> ring(final int worldSize, final String sizesCsv, final int warmup,
        final int reps, final int jitWarmup, final long timeoutMs, final List<String> jvmOptions,
        final LinkMedium transport) throws Exception
    {
        final Path dir = Files.createTempDirectory("sparkdl-allreduce-rv-");
        final byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        final List<Child> ranks = new ArrayList<>();
        try
        {
            for (int r = 0; r < worldSize; r++)
            {
                ranks.add(Child.start("rank" + r, RingRankMain.class, jvmOptions, List.of(dir.toString(),
                    Integer.toString(r), Integer.toString(worldSize), HexFormat.of().formatHex(secret), sizesCsv,
                    Integer.toString(warmup), Integer.toString(reps), Long.toString(timeoutMs),
                    Integer.toString(jitWarmup))));
            }
            for (final Child rank : ranks)
            {
                rank.awaitSuccess(timeoutMs + 10_000);
                for (final String line : rank.lines)
                {
                    if (line.startsWith("CHECK ") && !line.endsWith(" ok"))
                    {
                        throw new IllegalStateException(rank.name + " computed a wrong sum: " + line);
                    }
                }
            }
            System.out.println("ring config: " + ranks.get(0).lines.stream().filter(l -> l.startsWith("CONFIG "))
                .findFirst().orElse("?") + "; data term in use " + ranks.get(0).lines.stream()
                .filter(l -> l.startsWith("DATA_TERM ")).findFirst().orElse("?"));
            for (final Child rank : ranks)
            {
                requireLinkedOver(rank.name, rank.lines.stream().filter(l -> l.startsWith("MEDIA ")).findFirst()
                    .orElse("no MEDIA line"), transport);
            }
            // A sum ends when the slowest rank has the result: per rep the longest time over the ranks.
            final Map<String, Long> slowest = new HashMap<>();
            final Map<String, Long> busiest = new HashMap<>();
            final Map<Long, Double> driverCpu = new HashMap<>();
            for (final Child rank : ranks)
            {
                for (final String[] t : rank.times())
                {
                    slowest.merge(t[0] + " " + t[1], Long.parseLong(t[2]), Math::max);
                    busiest.merge(t[0] + " " + t[1], Long.parseLong(t[3]), Math::max);
                }
                rank.lines.stream().filter(l -> l.startsWith("OTHERCPU ")).map(l -> l.split(" "))
                    .forEach(o -> driverCpu.merge(Long.parseLong(o[1]), Double.parseDouble(o[2]), Math::max));
            }
            final Map<Long, double[]> result = new HashMap<>();
            final Map<Long, Double> wall = mediansBySize(slowest);
            final Map<Long, Double> cpu = mediansBySize(busiest);
            wall.forEach((size, ns) -> result.put(size, new double[]{ns, cpu.get(size), driverCpu.getOrDefault(size,
                Double.NaN)}));
            return result;
        }
        finally
        {
            ranks.forEach(Child::kill);
            try (var files = Files.list(dir))
            {
                for (final Path p : (Iterable<Path>)files::iterator)
                {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * @param csv {@code --transports}: ipc (ranks on one host through each other's drivers) and/or udp.
     * @return the link media to time, checked before anything runs.
     */
    public static List<LinkMedium> links(final String csv)
    {
        final List<LinkMedium> links = new ArrayList<>();
        for (final String transport : csv.split(","))
        {
            links.add(switch (transport)
            {
                case "ipc" -> LinkMedium.IPC_ON_HOST;
                case "udp" -> LinkMedium.UDP;
                default -> throw new IllegalArgumentException("--transports takes ipc and/or udp, got " + transport);
            });
        }
        return links;
    }

    /**
     * A row labelled with a transport must have run over it: every link to another rank JVM in the rank's
     * {@code MEDIA} line (links to itself, IPC in its own JVM, aside).
     */
    public static void requireLinkedOver(final String rank, final String mediaLine, final LinkMedium transport)
    {
        final String expected = transport.label();
        for (final String link : mediaLine.replaceFirst("^MEDIA ", "").split(", "))
        {
            final String medium = link.substring(link.indexOf(" over ") + " over ".length());
            if (!medium.equals(expected) && !medium.equals(LinkMedium.IPC_IN_JVM.label()))
            {
                throw new IllegalStateException(rank + " did not link over " + expected + ": " + mediaLine);
            }
        }
        if (!mediaLine.contains(" over " + expected))
        {
            throw new IllegalStateException(rank + " has no link over " + expected + ": " + mediaLine);
        }
    }

    /** @return the JVM option that makes rank JVMs on this host link over {@code transport}. */
    public static String transportOption(final LinkMedium transport)
    {
        return "-D" + CollectiveContext.IPC_WITHIN_HOST_PROP_NAME + "=" + (transport == LinkMedium.IPC_ON_HOST);
    }

    /** @param byRep {@code "<floats> <rep>"} to a figure: the median figure per size. */
    private static Map<Long, Double> mediansBySize(final Map<String, Long> byRep)
    {
        final Map<Long, List<Long>> bySize = new HashMap<>();
        byRep.forEach((key, ns) -> bySize.computeIfAbsent(Long.parseLong(key.split(" ")[0]),
            k -> new ArrayList<>()).add(ns));
        final Map<Long, Double> medians = new HashMap<>();
        bySize.forEach((size, list) -> medians.put(size, median(list)));
        return medians;
    }

    // ---------------------------------------------------------------- Spark, local[N]

    /** @return per size {treeAggregate median ns, allGather median ns}. */
    private static Map<Long, double[]> spark(final int partitions, final long[] sizes, final int warmup,
        final int reps)
    {
        final SparkConf conf = new SparkConf().setMaster("local[" + partitions + "]")
            .setAppName("allreduce-benchmark-spark").set("spark.ui.enabled", "false")
            .set("spark.driver.maxResultSize", "4g");
        final Map<Long, double[]> medians = new HashMap<>();
        try (JavaSparkContext jsc = new JavaSparkContext(conf))
        {
            jsc.setLogLevel("WARN");
            for (final long size : sizes)
            {
                medians.put(size, new double[]{treeAggregate(jsc, partitions, size, warmup, reps),
                    allGather(jsc, partitions, size, warmup, reps)});
            }
        }
        return medians;
    }

    private static double treeAggregate(final JavaSparkContext jsc, final int partitions, final long size,
        final int warmup, final int reps)
    {
            {
                final int n = Math.toIntExact(size);
                // The same vectors as the ring: one float[n] of ones per partition, cached before timing.
                final JavaRDD<float[]> vectors = jsc.parallelize(
                        IntStream.range(0, partitions).boxed().collect(Collectors.toList()), partitions)
                    .map(p ->
                    {
                        final float[] v = new float[n];
                        Arrays.fill(v, 1.0f);
                        return v;
                    })
                    .persist(StorageLevel.MEMORY_ONLY());
                vectors.count();
                final List<Long> times = new ArrayList<>();
                for (int i = 0; i < warmup + reps; i++)
                {
                    final long start = System.nanoTime();
                    // Zero is null so no n-float zero vector ships with every task; the first vector is copied,
                    // never summed into in place (it is the cached object).
                    final float[] sum = vectors.treeAggregate(null,
                        (acc, v) ->
                        {
                            if (acc == null)
                            {
                                return v.clone();
                            }
                            for (int j = 0; j < acc.length; j++)
                            {
                                acc[j] += v[j];
                            }
                            return acc;
                        },
                        (a, b) ->
                        {
                            if (a == null)
                            {
                                return b;
                            }
                            if (b == null)
                            {
                                return a;
                            }
                            for (int j = 0; j < a.length; j++)
                            {
                                a[j] += b[j];
                            }
                            return a;
                        });
                    final long ns = System.nanoTime() - start;
                    if (sum[0] != partitions || sum[n - 1] != partitions)
                    {
                        throw new IllegalStateException("treeAggregate summed wrong: " + sum[0]);
                    }
                    if (i >= warmup)
                    {
                        times.add(ns);
                    }
                }
                vectors.unpersist(true);
                return median(times);
            }
    }

    /**
     * What a barrier stage can do without spark-dl: every task turns its vector's bytes into a Latin-1 string
     * (one byte per char, the cheapest String allGather accepts) and allGathers it; timed per barrier job.
     */
    private static scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<Integer>> gatherTask(
        final int n, final int partitions)
    {
        return (scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<Integer>> &
            java.io.Serializable)rank ->
        {
            final byte[] bytes = new byte[n * Float.BYTES];
            Arrays.fill(bytes, (byte)0x3f);
            final String[] all = BarrierTaskContext.get().allGather(new String(bytes, StandardCharsets.ISO_8859_1));
            final boolean ok = all.length == partitions && all[0].length() == bytes.length;
            return JavaConverters.asScalaIterator(List.of(ok ? 1 : 0).iterator());
        };
    }

    private static double allGather(final JavaSparkContext jsc, final int partitions, final long size,
        final int warmup, final int reps)
    {
        final int n = Math.toIntExact(size);
        final JavaRDD<Integer> ranks = jsc.parallelize(
            IntStream.range(0, partitions).boxed().collect(Collectors.toList()), partitions);
        final List<Long> times = new ArrayList<>();
        for (int i = 0; i < warmup + reps; i++)
        {
            final long start = System.nanoTime();
            final List<Integer> gathered = ranks.rdd().barrier().mapPartitions(gatherTask(n, partitions), false,
                ClassTag$.MODULE$.apply(Integer.class)).toJavaRDD().collect();
            final long ns = System.nanoTime() - start;
            if (gathered.size() != partitions || gathered.contains(0))
            {
                throw new IllegalStateException("allGather returned the wrong messages: " + gathered);
            }
            if (i >= warmup)
            {
                times.add(ns);
            }
        }
        return median(times);
    }

    // ---------------------------------------------------------------- loopback bounds

    private static Map<Long, Double> memcpy(final long[] sizes, final int warmup, final int reps)
    {
        final Map<Long, Double> medians = new HashMap<>();
        for (final long size : sizes)
        {
            final int bytes = Math.toIntExact(size * Float.BYTES);
            final ByteBuffer src = ByteBuffer.allocateDirect(bytes);
            final ByteBuffer dst = ByteBuffer.allocateDirect(bytes);
            for (int i = 0; i < bytes; i += 4096)
            {
                src.put(i, (byte)i);
                dst.put(i, (byte)0);
            }
            final List<Long> times = new ArrayList<>();
            for (int i = 0; i < warmup + reps + 3; i++)
            {
                src.clear();
                dst.clear();
                final long start = System.nanoTime();
                dst.put(src);
                final long ns = System.nanoTime() - start;
                if (i >= warmup + 3)
                {
                    times.add(ns);
                }
            }
            medians.put(size, median(times));
        }
        return medians;
    }

    private static Map<Long, Double> tcpStream(final String sizesCsv, final int warmup, final int reps,
        final long timeoutMs) throws Exception
    {
        final Map<Long, List<Long>> bySize = new HashMap<>();
        for (final String[] t : streamPair("tcp", TcpStreamMain.class, sizesCsv, warmup, reps, timeoutMs))
        {
            bySize.computeIfAbsent(Long.parseLong(t[0]), k -> new ArrayList<>()).add(Long.parseLong(t[2]));
        }
        final Map<Long, Double> medians = new HashMap<>();
        bySize.forEach((size, list) -> medians.put(size, median(list)));
        return medians;
    }

    /**
     * Two TCP streams in opposite directions at the same time (four JVMs): per rep the slower of the two
     * senders' times. A ring rank sends and receives at once, so on 2 cores this, not the one-way stream, is
     * the kernel's share of the bound.
     */
    private static Map<Long, Double> tcpBothWays(final String sizesCsv, final int warmup, final int reps,
        final long timeoutMs) throws Exception
    {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try
        {
            final List<java.util.concurrent.Future<List<String[]>>> directions = new ArrayList<>();
            for (final String name : List.of("tcp-a", "tcp-b"))
            {
                directions.add(pool.submit(() -> streamPair(name, TcpStreamMain.class, sizesCsv, warmup, reps,
                    timeoutMs)));
            }
            final Map<String, Long> slower = new HashMap<>();
            for (final java.util.concurrent.Future<List<String[]>> direction : directions)
            {
                for (final String[] t : direction.get(timeoutMs + 60_000, TimeUnit.MILLISECONDS))
                {
                    slower.merge(t[0] + " " + t[1], Long.parseLong(t[2]), Math::max);
                }
            }
            return mediansBySize(slower);
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    /** @return per size {delivered GB/s (median), fraction of datagrams lost over all reps}. */
    private static Map<Long, double[]> udpStream(final String sizesCsv, final int warmup, final int reps,
        final long timeoutMs) throws Exception
    {
        final Map<Long, List<Long>> nsPerByte = new HashMap<>();
        final Map<Long, long[]> datagrams = new HashMap<>();
        for (final String[] t : streamPair("udp", UdpStreamMain.class, sizesCsv, warmup, reps, timeoutMs))
        {
            final long floats = Long.parseLong(t[0]);
            final long received = Long.parseLong(t[3]);
            final long sent = Long.parseLong(t[4]);
            // Delivered bandwidth: only the datagrams that arrived count (as picoseconds per byte, for the median).
            final double delivered = floats * (double)Float.BYTES * received / sent;
            nsPerByte.computeIfAbsent(floats, k -> new ArrayList<>())
                .add((long)(Long.parseLong(t[2]) * 1000.0 / Math.max(1.0, delivered)));
            final long[] counts = datagrams.computeIfAbsent(floats, k -> new long[2]);
            counts[0] += received;
            counts[1] += sent;
        }
        final Map<Long, double[]> result = new HashMap<>();
        nsPerByte.forEach((size, list) -> result.put(size, new double[]{1000.0 / median(list),
            1.0 - (double)datagrams.get(size)[0] / datagrams.get(size)[1]}));
        return result;
    }

    /**
     * Runs a stream main ({@code recv} then {@code send} to the port it prints) as two JVMs and returns the
     * sender's TIME lines; both children are killed whatever happens.
     */
    private static List<String[]> streamPair(final String name, final Class<?> main, final String sizesCsv,
        final int warmup, final int reps, final long timeoutMs) throws Exception
    {
        final String budget = Long.toString(timeoutMs);
        final Child receiver = Child.start(name + "-recv", main,
            List.of("recv", sizesCsv, Integer.toString(warmup), Integer.toString(reps), budget));
        Child sender = null;
        try
        {
            final String port = receiver.awaitLine("PORT ", 60_000).substring(5).trim();
            sender = Child.start(name + "-send", main,
                List.of("send", port, sizesCsv, Integer.toString(warmup), Integer.toString(reps), budget));
            sender.awaitSuccess(timeoutMs + 10_000);
            receiver.awaitSuccess(30_000);
            return sender.times();
        }
        finally
        {
            receiver.kill();
            if (sender != null)
            {
                sender.kill();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A child JVM on this JVM's class path, its output lines collected as they come. */
    public static final class Child
    {
        public final String name;
        final Process process;
        public final List<String> lines = new CopyOnWriteArrayList<>();

        private Child(final String name, final Process process)
        {
            this.name = name;
            this.process = process;
            final Thread reader = new Thread(() ->
            {
                try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
                {
                    String line;
                    while ((line = in.readLine()) != null)
                    {
                        lines.add(line);
                    }
                }
                catch (final IOException ignored)
                {
                    // The child is gone.
                }
            }, name + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        public static Child start(final String name, final Class<?> main, final List<String> args) throws IOException
        {
            return start(name, main, List.of(), args);
        }

        public static Child start(final String name, final Class<?> main, final List<String> jvmOptions,
            final List<String> args) throws IOException
        {
            final List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            final Path options = Path.of("conf", "java17.options");
            if (Files.isRegularFile(options))
            {
                cmd.add("@" + options.toAbsolutePath());
            }
            cmd.addAll(jvmOptions);
            cmd.addAll(List.of("-Xmx1g", "-XX:MaxDirectMemorySize=2g", "-XX:+UseSerialGC",
                "-Dlog4j2.level=WARN", "-cp", System.getProperty("java.class.path"), main.getName()));
            cmd.addAll(args);
            return new Child(name, new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }

        public void awaitSuccess(final long timeoutMs) throws InterruptedException
        {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
            {
                kill();
                throw new IllegalStateException(name + " did not finish in " + timeoutMs + " ms: " + tail());
            }
            // Let the reader drain the last lines.
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (lines.stream().noneMatch(l -> l.equals("DONE") || l.startsWith("ERROR")) &&
                System.nanoTime() < until)
            {
                Thread.sleep(10);
            }
            if (process.exitValue() != 0 || !lines.contains("DONE"))
            {
                throw new IllegalStateException(name + " failed (exit " + process.exitValue() + "): " + tail());
            }
        }

        String awaitLine(final String prefix, final long timeoutMs) throws InterruptedException
        {
            final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (System.nanoTime() < until)
            {
                for (final String line : lines)
                {
                    if (line.startsWith(prefix))
                    {
                        return line;
                    }
                }
                if (!process.isAlive())
                {
                    break;
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException(name + " never printed " + prefix + ": " + tail());
        }

        List<String[]> times()
        {
            return lines.stream().filter(l -> l.startsWith("TIME ")).map(l -> l.substring(5).split(" "))
                .collect(Collectors.toList());
        }

        String tail()
        {
            final int from = Math.max(0, lines.size() - 30);
            return String.join("\n", lines.subList(from, lines.size()));
        }

        public void kill()
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
                try
                {
                    process.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static double median(final List<Long> values)
    {
        final long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    private static long parseFloats(final String text)
    {
        final String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("M"))
        {
            return Long.parseLong(t.substring(0, t.length() - 1)) << 20;
        }
        if (t.endsWith("K"))
        {
            return Long.parseLong(t.substring(0, t.length() - 1)) << 10;
        }
        return Long.parseLong(t);
    }

    private static String label(final long floats)
    {
        return floats % (1 << 20) == 0 ? (floats >> 20) + "M" : Long.toString(floats);
    }

    private static String f(final double value)
    {
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.3f", value);
    }

    private static String loadAverage()
    {
        try
        {
            final String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        }
        catch (final IOException | RuntimeException ex)
        {
            return "unknown";
        }
    }
}
