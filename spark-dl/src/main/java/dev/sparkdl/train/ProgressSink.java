package dev.sparkdl.train;

/** Where rank 0 reports progress while it trains. */
@FunctionalInterface
public interface ProgressSink {

    ProgressSink NONE = record -> { };

    void epochFinished(EpochRecord record);
}
