/**
 * Spark rows to Arrow training batches, and Arrow predictions back to Spark.
 *
 * <ul>
 *   <li>{@link dev.sparkdl.arrow.spark.RowsToArrow}: a partition's rows, as {@code Row} or as
 *       {@code InternalRow} (from {@code Dataset.queryExecution().toRdd()}, which skips Spark's
 *       conversion to boxed external values), become batches in the
 *       {@link dev.sparkdl.arrow.TrainingSchema} layout. The per-type converter is picked once per
 *       column from the schema, never per row: ml Vector, {@code array<float>}, {@code array<double>},
 *       sequences {@code array<array<float|double>>} (padded, with a mask) and Spark's image struct.
 *       Several feature columns sit side by side in one row. Training, validation and scoring all
 *       read features here, and only here ({@link dev.sparkdl.arrow.spark.FeatureWriters} lets
 *       callers check a type or learn a width through the same converters).</li>
 *   <li>{@link dev.sparkdl.arrow.spark.BadRowException}: null, wrong length or non-finite input,
 *       with the column, the row's position in the partition and the partition id.</li>
 *   <li>{@link dev.sparkdl.arrow.spark.PredictionBatch}: model output written into Arrow vectors
 *       and read by Spark through its public {@code ArrowColumnVector}.</li>
 * </ul>
 *
 * <p>This is the only package of the module that touches Spark.
 */
package dev.sparkdl.arrow.spark;
