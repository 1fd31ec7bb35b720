package dev.sparkdl.cluster;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import dev.sparkdl.arrow.Allocators;

import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;

/**
 * A job that looks inside every executor JVM for what a fit may leave behind: threads of spark-dl or
 * Aeron (or any thread still running spark-dl code), UDP sockets (Spark itself uses only TCP), Arrow
 * memory or allocators, spill files, the JVM's Aeron directory. Shipped in the test-hooks jar.
 */
final class ExecutorProbe {
    /** What one probe task saw in its executor. Empty lists and zeros mean clean. */
    record Report(String executorId, long pid, List<String> threads, int udpSockets, long arrowBytes,
                  List<String> arrowAllocators, List<String> spillFiles, boolean aeronDir) implements Serializable {
        boolean clean() {
            return threads.isEmpty() && udpSockets == 0 && arrowBytes == 0 && arrowAllocators.isEmpty()
                    && spillFiles.isEmpty() && !aeronDir;
        }
    }

    private ExecutorProbe() {
    }

    /**
     * Runs one probe task in every task slot at once (a barrier stage), so every executor answers;
     * one report per executor.
     */
    static List<Report> run(SparkSession spark, int slots) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String previous = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("spark-dl hygiene probe");
        try {
            Map<String, Report> byExecutor = new java.util.TreeMap<>();
            inEverySlot(spark, slots, new Probe(), Report.class).forEach(r -> byExecutor.put(r.executorId(), r));
            return List.copyOf(byExecutor.values());
        } finally {
            sc.setJobDescription(previous);
        }
    }

    /** Runs {@code task} once in each of {@code slots} task slots at the same time (a barrier stage). */
    private static <T> List<T> inEverySlot(SparkSession spark, int slots,
            scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<T>> task, Class<T> type) {
        List<Integer> seeds = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            seeds.add(i);
        }
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(seeds, slots).rdd().barrier()
                .mapPartitions(task, false, ClassTag$.MODULE$.apply(type)).toJavaRDD().collect();
    }

    /** Loads ND4J and Arrow in every executor at once, so no test's first fit pays for it. */
    static void warmUp(SparkSession spark, int slots) {
        inEverySlot(spark, slots, new WarmUp(), Double.class);
    }

    private static final class WarmUp extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<Double>> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public scala.collection.Iterator<Double> apply(scala.collection.Iterator<Integer> ignored) {
            double sum = org.nd4j.linalg.factory.Nd4j.ones(4, 4).mmul(org.nd4j.linalg.factory.Nd4j.ones(4, 4))
                    .sumNumber().doubleValue();
            Allocators.processRoot();
            return JavaConverters.asScalaIterator(List.of(sum).iterator());
        }
    }

    private static final class Probe extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<Report>> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public scala.collection.Iterator<Report> apply(scala.collection.Iterator<Integer> ignored) {
            return JavaConverters.asScalaIterator(List.of(inspect()).iterator());
        }
    }

    static Report inspect() {
        long pid = ProcessHandle.current().pid();
        List<String> threads = new ArrayList<>();
        Thread self = Thread.currentThread();
        for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
            Thread thread = entry.getKey();
            String name = thread.getName();
            if (thread == self || !thread.isAlive()) {
                continue;
            }
            if (name.toLowerCase(java.util.Locale.ROOT).matches(".*(spark-dl|aeron|driver-conductor).*")) {
                threads.add(name);
                continue;
            }
            for (StackTraceElement frame : entry.getValue()) {
                if (frame.getClassName().startsWith("dev.sparkdl.") && !frame.getClassName().startsWith("dev.sparkdl.cluster.")) {
                    threads.add(name + " (in " + frame + ")");
                    break;
                }
            }
        }
        BufferAllocator root = Allocators.processRoot();
        List<String> allocators = root.getChildAllocators().stream().map(BufferAllocator::getName).toList();
        List<String> spills = new ArrayList<>();
        SparkEnv env = SparkEnv.get();
        for (File local : env.blockManager().diskBlockManager().localDirs()) {
            Path dir = local.toPath().resolve("spark-dl");
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    files.forEach(p -> spills.add(p.toString()));
                } catch (IOException e) {
                    spills.add(dir + " unreadable: " + e);
                }
            }
        }
        return new Report(env.executorId(), pid, threads, udpSockets(), root.getAllocatedMemory(), allocators,
                spills, Files.exists(Path.of("/dev/shm", "spark-dl-aeron-" + pid)));
    }

    /** UDP sockets this process holds: its socket fds matched against the kernel's UDP tables. */
    static int udpSockets() {
        Set<String> udpInodes = new HashSet<>();
        for (String table : List.of("/proc/self/net/udp", "/proc/self/net/udp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (String line : lines.subList(1, lines.size())) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 9) {
                        udpInodes.add(fields[9]);
                    }
                }
            } catch (IOException e) {
                // no IPv6 table on this host
            }
        }
        int count = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && udpInodes.contains(target.substring(8, target.length() - 1))) {
                        count++;
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd", e);
        }
        return count;
    }
}
