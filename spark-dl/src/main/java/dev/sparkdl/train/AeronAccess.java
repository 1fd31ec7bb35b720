package dev.sparkdl.train;

import java.util.function.Supplier;

/** Where a missing Java 17 option for Aeron surfaces, turned into a message that says the fix. */
final class AeronAccess {

    private AeronAccess() {
    }

    /** Runs {@code join}, explaining the IllegalAccessError Agrona throws without its --add-opens. */
    static <T> T join(Supplier<T> join) {
        try {
            return join.get();
        } catch (IllegalAccessError e) {
            throw new IllegalStateException("Aeron's Agrona needs the JVM option "
                    + "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED on every executor (add it to "
                    + "spark.executor.extraJavaOptions and spark.driver.extraJavaOptions)", e);
        }
    }
}
