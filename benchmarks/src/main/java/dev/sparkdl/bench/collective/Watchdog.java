package dev.sparkdl.bench.collective;

/** Halts a child JVM that outlives its deadline, so no blocking call in it can wait forever. */
public final class Watchdog
{
    private Watchdog()
    {
    }

    public static void start(final long timeoutMs)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                Thread.sleep(timeoutMs);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            System.out.println("ERROR watchdog: still running after " + timeoutMs + " ms");
            System.out.flush();
            Runtime.getRuntime().halt(4);
        }, "bench-watchdog");
        thread.setDaemon(true);
        thread.start();
    }
}
