/**
 * Arrow record batches as the training data path, with no Spark in sight.
 *
 * <ul>
 *   <li>{@link dev.sparkdl.arrow.TrainingSchema}: the layout every batch has, a
 *       {@code FixedSizeList<Float4>} feature matrix (row-major, contiguous) and a
 *       {@code Float4} label.</li>
 *   <li>{@link dev.sparkdl.arrow.Nd4jViews}: ND4J arrays that alias Arrow memory
 *       (no copy).</li>
 *   <li>{@link dev.sparkdl.arrow.SpillFile} and {@link dev.sparkdl.arrow.MappedBatches}:
 *       the first pass writes an Arrow IPC file, later epochs map it.</li>
 *   <li>{@link dev.sparkdl.arrow.PartitionData}: what the training loop sees, minibatches
 *       per epoch, in order or shuffled by (seed, epoch).</li>
 * </ul>
 *
 * <p>Ownership: every API takes a {@link org.apache.arrow.memory.BufferAllocator} and
 * opens a named child of it, closed with the object that created it. An ND4J view
 * shares memory with its Arrow owner and never extends its life: closing the owner
 * while a view is in use is a use-after-free.
 */
package dev.sparkdl.arrow;
