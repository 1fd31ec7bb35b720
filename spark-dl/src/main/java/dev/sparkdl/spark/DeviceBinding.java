package dev.sparkdl.spark;

import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a task's ND4J thread to the GPU Spark assigned it ({@code spark.task.resource.gpu.amount}
 * with a discovery script), never to a hard-coded device 0. Without a GPU assignment, or with ND4J's
 * CPU backend, training stays on the CPU and says so once per JVM.
 */
final class DeviceBinding {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceBinding.class);
    private static final AtomicBoolean SAID_CPU = new AtomicBoolean();

    private DeviceBinding() {
    }

    /** The GPU to use: the first address of Spark's "gpu" resource, when the backend can use it. */
    static OptionalInt choose(Map<String, ResourceInformation> resources, boolean cudaBackend) {
        ResourceInformation gpu = resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0 || !cudaBackend) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(gpu.addresses()[0].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Spark assigned GPU address '" + gpu.addresses()[0]
                    + "', which is not a CUDA device ordinal; fix the GPU discovery script", e);
        }
    }

    static boolean cudaBackend() {
        return Nd4j.getBackend().getClass().getName().toLowerCase(java.util.Locale.ROOT).contains("cu");
    }

    /** Binds the calling thread; returns the device, or -1 for the CPU. */
    static int bind(Map<String, ResourceInformation> resources) {
        boolean cuda = cudaBackend();
        OptionalInt device = choose(resources, cuda);
        if (device.isPresent()) {
            Nd4j.getAffinityManager().unsafeSetDevice(device.getAsInt());
            LOG.info("ND4J bound to GPU {} as assigned by Spark", device.getAsInt());
            return device.getAsInt();
        }
        if (SAID_CPU.compareAndSet(false, true)) {
            if (resources.containsKey("gpu") && !cuda) {
                LOG.warn("Spark assigned GPU(s) {} but ND4J runs its CPU backend; build spark-dl with -Pcuda "
                        + "to use them", String.join(",", resources.get("gpu").addresses()));
            } else {
                LOG.info("no GPU assigned to this task; ND4J trains on the CPU");
            }
        }
        return -1;
    }
}
