package dev.sparkdl.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Rendezvous} between processes through a shared directory: each rank writes its string to
 * {@code round-R-rank-r} atomically (temp file, then rename) and polls until every rank's file exists.
 */
public final class FileRendezvous implements Rendezvous
{
    private final Path directory;
    private final int rank;
    private final int worldSize;
    private final long timeoutNs;
    private int round;

    public FileRendezvous(final Path directory, final int rank, final int worldSize, final long timeoutNs)
    {
        this.directory = directory;
        this.rank = rank;
        this.worldSize = worldSize;
        this.timeoutNs = timeoutNs;
    }

    @Override
    public String[] allGather(final String localInfo)
    {
        final int thisRound = round++;
        try
        {
            final Path temp = directory.resolve("tmp-" + thisRound + "-" + rank);
            Files.writeString(temp, localInfo, StandardCharsets.US_ASCII);
            Files.move(temp, file(thisRound, rank), StandardCopyOption.ATOMIC_MOVE);
            final long deadlineNs = System.nanoTime() + timeoutNs;
            final String[] infos = new String[worldSize];
            for (int r = 0; r < worldSize; r++)
            {
                while (!Files.exists(file(thisRound, r)))
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        throw new CollectiveException(CollectiveException.Reason.RENDEZVOUS, r, null,
                            "rank " + rank + " timed out waiting for rank " + r + " in " + directory);
                    }
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                infos[r] = Files.readString(file(thisRound, r), StandardCharsets.US_ASCII);
            }
            return infos;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new CollectiveException(CollectiveException.Reason.INTERRUPTED, rank, null, "interrupted", ex);
        }
    }

    private Path file(final int round, final int rank)
    {
        return directory.resolve("round-" + round + "-rank-" + rank);
    }
}
