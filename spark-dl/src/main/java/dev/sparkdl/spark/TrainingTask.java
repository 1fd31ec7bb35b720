package dev.sparkdl.spark;

import java.util.Iterator;
import java.util.List;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.sparkdl.train.EpochRecord;
import dev.sparkdl.train.GradientExchange;
import dev.sparkdl.train.NetworkAdapter;
import dev.sparkdl.train.ProgressSink;
import dev.sparkdl.train.TrainedNetwork;
import dev.sparkdl.train.WorkerData;
import dev.sparkdl.train.WorkerLoop;

/** The body of one barrier task: rank r of N trains every epoch on its partition. */
final class TrainingTask {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sparkdl.progress");

    private TrainingTask() {
    }

    static Iterator<TaskOutcome> run(Iterator<Row> rows, TrainingJob job, Broadcast<TrainedNetwork> initial)
            throws InterruptedException {
        BarrierTaskContext context = BarrierTaskContext.get();
        int rank = context.partitionId();
        int workers = context.getTaskInfos().length;
        RowBlock block = RowBlock.read(rows, job.features(), job.labels(), rank);
        try (WorkerData data = block.toWorkerData();
             GradientExchange exchange = Exchanges.open(job, context, rank, workers)) {
            NetworkAdapter network = initial.value().restore();
            ProgressSink progress = record -> LOG.info(describe(record, job.plan().epochs()));
            List<EpochRecord> history = new WorkerLoop(network, data, job.plan(), exchange, progress).run();
            byte[] params = TrainedNetwork.toBytes(network.params());
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(params);
            return List.of(new TaskOutcome(rank, rank == 0 ? params : null, crc.getValue(), history)).iterator();
        }
    }

    static String describe(EpochRecord record, int epochs) {
        return String.format("spark-dl epoch %d/%d  step %d  loss %.4f  %,.0f samples/s  %.1f s",
                record.epoch(), epochs, record.step(), record.trainLoss(), record.samplesPerSecond(),
                record.seconds());
    }
}
