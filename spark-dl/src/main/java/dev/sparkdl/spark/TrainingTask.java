package dev.sparkdl.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.nd4j.linalg.api.ndarray.INDArray;

import dev.sparkdl.arrow.Allocators;
import dev.sparkdl.arrow.PartitionData;
import dev.sparkdl.arrow.spark.RowsToArrow;
import dev.sparkdl.train.ArrowWorkerData;
import dev.sparkdl.train.Checkpoint;
import dev.sparkdl.train.CheckpointSink;
import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.GradientExchange;
import dev.sparkdl.train.NativeThreads;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.ProgressSink;
import dev.sparkdl.train.TrainedNetwork;
import dev.sparkdl.train.Validation;
import dev.sparkdl.train.WorkerData;
import dev.sparkdl.train.WorkerLoop;

/** The body of one barrier task: rank r of N trains every epoch on its partition. */
final class TrainingTask {
    /**
     * Called by rank 0 after each step with (epoch, step in epoch); tests in local mode (one JVM)
     * set it to inject a failure. Null otherwise.
     */
    static volatile java.util.function.BiConsumer<Integer, Integer> stepFault;

    /**
     * Milliseconds rank r sleeps while it reads the rows of its s-th step (counted from 0 over the fit),
     * as (rank, s); tests in local mode set it to make a rank compute slower than its peers. The sleep
     * falls in local backprop, outside the exchange's timing. Null otherwise.
     */
    static volatile java.util.function.ToLongBiFunction<Integer, Long> stepDelayMs;

    private TrainingTask() {
    }

    static Iterator<TaskOutcome> run(Iterator<Row> rows, TrainingJob job, Broadcast<StartState> start)
            throws InterruptedException {
        BarrierTaskContext context = BarrierTaskContext.get();
        int rank = context.partitionId();
        int workers = context.getTaskInfos().length;
        DeviceBinding.bind(context.resourcesJMap());
        NativeThreads.set(job.threadsFor(ranksOnThisExecutor(context, rank)));
        List<Row> heldOut = new ArrayList<>();
        Iterator<Row> training = job.validationFlag() == null ? rows
                : divert(rows, job.schema().fieldIndex(job.validationFlag()), heldOut);
        try (BufferAllocator allocator = Allocators.child(Allocators.processRoot(), "spark-dl-rank-" + rank);
             WorkerData data = withDelay(spill(training, job, rank, allocator), rank);
             Validation validation = job.validationFlag() == null ? null : validation(heldOut, job, rank, allocator)) {
            heldOut.clear();
            NetworkAdapter network = start.value().network().restore().withInput(job.features().layout());
            Checkpoint resume = start.value().resume();
            if (resume != null) {
                network.restoreTrainingState(resume.updaterState() == null ? null
                        : TrainedNetwork.fromBytes(resume.updaterState()), resume.iteration(), resume.epochsDone());
            }
            try (GradientExchange exchange = Exchanges.open(job, context, rank, workers, network)) {
                try {
                    return train(job, rank, network, data, validation, exchange, resume);
                } catch (RuntimeException | Error e) {
                    if (!(e instanceof dev.sparkdl.collective.CollectiveException)) {
                        exchange.abort(e.toString());
                    }
                    throw e;
                }
            }
        }
    }

    private static Iterator<TaskOutcome> train(TrainingJob job, int rank, NetworkAdapter network, WorkerData data,
                                               Validation validation, GradientExchange exchange, Checkpoint resume)
            throws InterruptedException {
        List<EpochRecord> history;
        try (ProgressClient progress = rank == 0 ? ProgressClient.connect(job.progressEndpoint(), job.progressToken())
                : null) {
            CheckpointSink checkpoints = job.checkpoints() != null ? checkpointSink(job) : null;
            history = new WorkerLoop(network, data, job.plan(), exchange,
                    withFault(progress != null ? progress : ProgressSink.NONE), validation, resume, checkpoints).run();
        }
        byte[] params = TrainedNetwork.toBytes(network.params());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(params);
        return List.of(new TaskOutcome(rank, rank == 0 ? params : null, crc.getValue(), history)).iterator();
    }

    private static ProgressSink withFault(ProgressSink sink) {
        var fault = stepFault;
        if (fault == null) {
            return sink;
        }
        return new ProgressSink() {
            @Override
            public void epochFinished(EpochRecord record) {
                sink.epochFinished(record);
            }

            @Override
            public void stepFinished(int epoch, int step, int steps, double loss, long samples, double seconds) {
                fault.accept(epoch, step);
                sink.stepFinished(epoch, step, steps, loss, samples, seconds);
            }
        };
    }

    private static WorkerData withDelay(WorkerData data, int rank) {
        var delay = stepDelayMs;
        if (delay == null) {
            return data;
        }
        long[] steps = {0};
        return WorkerData.beforeEachBatch(data, rows -> {
            try {
                Thread.sleep(delay.applyAsLong(rank, steps[0]++));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Rank 0's checkpoints: parameters and the whole updater state (gathered from the shard owners in PS mode). */
    private static CheckpointSink checkpointSink(TrainingJob job) {
        return new CheckpointSink() {
            @Override
            public int intervalSteps() {
                return job.checkpointInterval();
            }

            @Override
            public void save(int epochsDone, int stepInEpoch, long globalStep, int iteration,
                             GradientExchange.TrainingState state, List<EpochRecord> history) {
                INDArray updater = state.updaterState();
                job.checkpoints().write(new Checkpoint(job.spec().json(), epochsDone, stepInEpoch, globalStep,
                        iteration, List.copyOf(history), TrainedNetwork.toBytes(state.params()),
                        updater == null ? null : TrainedNetwork.toBytes(updater)));
            }
        };
    }

    /** The first pass: rows to Arrow batches to a local spill file, mapped for every epoch. */
    private static WorkerData spill(Iterator<Row> rows, TrainingJob job, int rank, BufferAllocator allocator) {
        PartitionData data = toArrow(rows, job, rank, allocator);
        long n = data.numRows();
        int steps = job.plan().stepsPerEpoch();
        return new ArrowWorkerData(data, job.labels().numClasses(), job.labels().valuesPerRow(),
                (int) ((n + steps - 1) / steps));
    }

    private static Validation validation(List<Row> heldOut, TrainingJob job, int rank, BufferAllocator allocator) {
        return new Validation(toArrow(heldOut.iterator(), job, rank, allocator), job.labels().numClasses() > 0);
    }

    private static PartitionData toArrow(Iterator<Row> rows, TrainingJob job, int rank, BufferAllocator allocator) {
        try (RowsToArrow converter = job.labels().applyTo(job.features().applyTo(RowsToArrow.forSchema(job.schema())))
                .partitionId(rank)
                .open(allocator)) {
            return PartitionData.spill(converter.convert(rows), LocalDirs.forSpills(), allocator,
                    job.features().width());
        }
    }

    /** The rows to train on; held-out rows are set aside into {@code heldOut} as they pass. */
    private static Iterator<Row> divert(Iterator<Row> rows, int flag, List<Row> heldOut) {
        return new Iterator<>() {
            private Row next;

            @Override
            public boolean hasNext() {
                while (next == null && rows.hasNext()) {
                    Row row = rows.next();
                    if (!row.isNullAt(flag) && row.getBoolean(flag)) {
                        heldOut.add(row);
                    } else {
                        next = row;
                    }
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Row row = next;
                next = null;
                return row;
            }
        };
    }

    private static int ranksOnThisExecutor(BarrierTaskContext context, int rank) {
        String mine = context.getTaskInfos()[rank].address();
        int count = 0;
        for (var info : context.getTaskInfos()) {
            if (info.address().equals(mine)) {
                count++;
            }
        }
        return count;
    }

}
