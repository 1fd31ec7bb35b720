package dev.sparkdl.collective;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one task per rank on its own thread and collects each rank's result or failure. */
final class ThreadRanks
{
    @FunctionalInterface
    interface RankTask<T>
    {
        T run(int rank) throws Exception;
    }

    /** A rank's outcome: a value or the exception it threw. */
    record Outcome<T>(T value, Throwable failure)
    {
        T orThrow()
        {
            if (null != failure)
            {
                throw new AssertionError("rank failed: " + failure, failure);
            }
            return value;
        }
    }

    private ThreadRanks()
    {
    }

    static <T> List<Outcome<T>> run(final int worldSize, final long timeoutMs, final RankTask<T> task)
        throws InterruptedException
    {
        final ExecutorService executor = Executors.newFixedThreadPool(worldSize);
        try
        {
            final List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final int r = rank;
                futures.add(executor.submit(() -> task.run(r)));
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            final List<Outcome<T>> outcomes = new ArrayList<>();
            for (final Future<T> future : futures)
            {
                try
                {
                    outcomes.add(new Outcome<>(future.get(Math.max(1, deadlineNs - System.nanoTime()),
                        TimeUnit.NANOSECONDS), null));
                }
                catch (final ExecutionException ex)
                {
                    outcomes.add(new Outcome<>(null, ex.getCause()));
                }
                catch (final TimeoutException ex)
                {
                    outcomes.add(new Outcome<>(null, ex));
                }
            }
            return outcomes;
        }
        finally
        {
            executor.shutdownNow();
            if (!executor.awaitTermination(30, TimeUnit.SECONDS))
            {
                throw new AssertionError("rank threads did not stop");
            }
        }
    }
}
