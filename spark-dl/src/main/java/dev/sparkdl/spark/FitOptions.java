package dev.sparkdl.spark;

/**
 * The Spark-side choices of one fit.
 *
 * @param workers        ranks; the rows are repartitioned into that many partitions
 * @param nativeThreads  ND4J threads per rank, 0 to share each executor's cores among its ranks
 * @param validationFlag the boolean column marking held-out rows, or null
 */
public record FitOptions(int workers, int nativeThreads, String validationFlag, ExchangeSettings exchange) {
}
