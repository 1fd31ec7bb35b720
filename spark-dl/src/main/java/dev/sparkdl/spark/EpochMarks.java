package dev.sparkdl.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each finished epoch into the Spark UI's job list. A fit runs as ONE barrier job, and a job's
 * description is fixed when it starts, so after every epoch the driver runs an empty job (no
 * partitions: no tasks, no slots taken, it ends the moment it starts) described as
 * {@code spark-dl fit: epoch 3/10 ...}. The UI then lists the epochs, newest first, beside the fit.
 */
final class EpochMarks {
    static final String PREFIX = "spark-dl fit: epoch ";
    private static final String JOB_DESCRIPTION = "spark.job.description";
    private static final Logger LOG = LoggerFactory.getLogger(EpochMarks.class);

    private final SparkContext sc;

    EpochMarks(SparkContext sc) {
        this.sc = sc;
    }

    /** Marks epoch {@code epoch} of {@code epochs} as done; a UI marker never fails the fit. */
    void epochDone(int epoch, int epochs, String details) {
        String previous = sc.getLocalProperty(JOB_DESCRIPTION);
        sc.setJobDescription(PREFIX + epoch + "/" + epochs + (details.isEmpty() ? "" : "  " + details));
        try {
            JavaSparkContext.fromSparkContext(sc).emptyRDD().count();
        } catch (RuntimeException e) {
            LOG.debug("could not mark epoch {} in the Spark UI", epoch, e);
        } finally {
            sc.setJobDescription(previous);
        }
    }
}
