package dev.sparkdl.bench.ps;

import java.nio.FloatBuffer;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import dev.sparkdl.bench.collective.RingRankMain;
import dev.sparkdl.bench.collective.Watchdog;
import dev.sparkdl.ps.ParameterServer;
import dev.sparkdl.ps.ShardLayout;
import dev.sparkdl.transport.CollectiveContext;

/**
 * One parameter-server rank as its own JVM, owning shard {@code rank} and pushing/pulling the whole vector
 * each step (staleness 0, no compression, a plain SGD update). Arguments: rendezvousDir rank worldSize
 * secretHex sizes(csv floats) warmup reps timeoutMs [jitWarmupSteps]. First, untimed, jitWarmupSteps steps of a
 * 256K-float vector (a few steps leave the loops interpreted, and the first timed steps measured the JIT). Prints per size {@code TIME <floats> <rep> <ns>} per
 * timed step, {@code BYTES <floats> <per step>} (pushed plus pulled by this rank), {@code FRAMES <floats>
 * <per step>} (frames its shard accepted: push chunks and pull requests), then {@code DONE}; {@code ERROR}
 * and exit 2 on failure. A watchdog halts the JVM after timeoutMs.
 */
public final class PsRankMain {
    private static final float LEARNING_RATE = 1e-6f;
    private static final int JIT_WARMUP_FLOATS = 256 * 1024;

    private PsRankMain() {
    }

    public static void main(String[] args) {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
        int rank = Integer.parseInt(args[1]);
        int worldSize = Integer.parseInt(args[2]);
        byte[] secret = HexFormat.of().parseHex(args[3]);
        long[] sizes = RingRankMain.parseSizes(args[4]);
        int warmup = Integer.parseInt(args[5]);
        int reps = Integer.parseInt(args[6]);
        long timeoutMs = Long.parseLong(args[7]);
        int jitWarmupSteps = args.length > 8 ? Integer.parseInt(args[8]) : 0;
        Watchdog.start(timeoutMs);
        try {
            if (jitWarmupSteps > 0) {
                java.nio.file.Path jitDir = java.nio.file.Files.createDirectories(dir.resolve("jit"));
                run(new RingRankMain.DirRendezvous(jitDir, rank, worldSize, 60_000), rank, worldSize, secret,
                        JIT_WARMUP_FLOATS, jitWarmupSteps, 0);
            }
            int gather = 0;
            for (long n : sizes) {
                // A fresh server per size: shard buffers are sized for it. The rendezvous counts its calls.
                java.nio.file.Path sizeDir = java.nio.file.Files.createDirectories(dir.resolve("size" + gather++));
                run(new RingRankMain.DirRendezvous(sizeDir, rank, worldSize, 60_000), rank, worldSize, secret,
                        Math.toIntExact(n), warmup, reps);
            }
        } catch (Throwable ex) {
            RingRankMain.exitFailed(rank, ex);
        }
        RingRankMain.exitDone();
    }

    private static void run(dev.sparkdl.collective.Rendezvous rendezvous, int rank, int worldSize, byte[] secret,
                            int n, int warmup, int reps) throws Exception {
        ShardLayout layout = ShardLayout.even(n, worldSize);
        CollectiveContext ctx = new CollectiveContext()
                .maxBufferBytes((long) layout.length(0) * Float.BYTES)
                .timeoutNs(TimeUnit.SECONDS.toNanos(60))
                .connectTimeoutNs(TimeUnit.SECONDS.toNanos(60));
        float[] shard = new float[layout.length(rank)];
        FloatBuffer gradient = FloatBuffer.allocate(n);
        FloatBuffer params = FloatBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            gradient.put(i, 1f);
        }
        double[] stats = new double[2];
        int steps = warmup + reps;
        ParameterServer server = new ParameterServer(ctx, rendezvous, rank, worldSize, secret, "127.0.0.1", layout,
                ParameterServer.Settings.synchronous(), r -> (sum, rows, epoch, updates, p) -> {
                    for (int i = 0; i < p.length; i++) {
                        p[i] -= LEARNING_RATE * sum[i] / rows;
                    }
                }, shard);
        System.out.println("MEDIA " + server.linkMedia());
        long bytesBefore = 0;
        try {
            for (int step = 0; step < steps; step++) {
                if (step == warmup) {
                    bytesBefore = server.bytesPushed() + server.bytesPulled();
                }
                long start = System.nanoTime();
                server.step(gradient, 1, 0, 0, params, stats, step == steps - 1);
                long ns = System.nanoTime() - start;
                if (step >= warmup) {
                    System.out.println("TIME " + n + " " + (step - warmup) + " " + ns);
                }
            }
            if (reps == 0) {
                return; // the JIT warm-up: nothing to report
            }
            System.out.println("BYTES " + n + " " + (server.bytesPushed() + server.bytesPulled() - bytesBefore) / reps);
            // Each step the owners average the workers' gradients of 1 (rows 1 each): every parameter moves by -lr.
            float expected = -LEARNING_RATE * steps;
            float got = params.get(n - 1);
            System.out.println("CHECK " + n + (Math.abs(got - expected) <= 1e-3f * Math.abs(expected) ? " ok"
                    : " bad expected " + expected + " got " + got));
        } finally {
            server.close();
        }
        // Closed: the shard's counters are final. Every worker said goodbye once.
        System.out.println("FRAMES " + n + " " + (server.server().accepted() - worldSize) / steps);
        System.out.flush();
    }
}
