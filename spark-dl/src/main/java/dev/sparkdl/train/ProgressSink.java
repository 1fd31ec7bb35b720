package dev.sparkdl.train;

/** Where rank 0 reports progress while it trains. */
public interface ProgressSink {

    ProgressSink NONE = new ProgressSink() {
        @Override
        public void epochFinished(EpochRecord record) {
        }
    };

    void epochFinished(EpochRecord record);

    /**
     * After every step; implementations throttle. {@code step} counts from 1 within the epoch;
     * loss, samples and seconds are the epoch's so far.
     */
    default void stepFinished(int epoch, int step, int stepsPerEpoch, double meanLoss, long samples, double seconds) {
    }
}
