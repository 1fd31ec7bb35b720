package dev.sparkdl.spark;

/**
 * The Spark-side choices of one fit.
 *
 * @param workers        ranks; the rows are repartitioned into that many partitions
 * @param nativeThreads  ND4J threads per rank, 0 to share each executor's cores among its ranks
 * @param validationFlag the boolean column marking held-out rows, or null
 * @param checkpointDir  where rank 0 writes checkpoints (any Hadoop path), or null for none
 * @param checkpointInterval steps between mid-epoch checkpoints; 0 = at every epoch's end only
 * @param maxAttempts    barrier stages to run before giving up; each retry resumes from the latest checkpoint
 */
public record FitOptions(int workers, int nativeThreads, String validationFlag, ExchangeSettings exchange,
                         String checkpointDir, int checkpointInterval, int keepCheckpoints, int maxAttempts) {

    /** Options without checkpoints or retries. */
    public FitOptions(int workers, int nativeThreads, String validationFlag, ExchangeSettings exchange) {
        this(workers, nativeThreads, validationFlag, exchange, null, 0, 2, 1);
    }
}
