package dev.sparkdl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.OptionalInt;

import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

class DeviceBindingTest {

    private static Map<String, ResourceInformation> gpus(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @Test
    void shouldUseTheGpuSparkAssignedNotDeviceZero() {
        assertEquals(OptionalInt.of(3), DeviceBinding.choose(gpus("3"), true));
        assertEquals(OptionalInt.of(1), DeviceBinding.choose(gpus("1", "2"), true));
    }

    @Test
    void shouldStayOnTheCpuWithoutAnAssignmentOrACudaBackend() {
        assertEquals(OptionalInt.empty(), DeviceBinding.choose(Map.of(), true));
        assertEquals(OptionalInt.empty(), DeviceBinding.choose(gpus("0"), false));
        // This build runs ND4J's CPU backend: binding is a no-op that reports the CPU.
        assertFalse(DeviceBinding.cudaBackend());
        assertEquals(-1, DeviceBinding.bind(gpus("0")));
    }

    @Test
    void shouldRejectAnAddressThatIsNotADeviceOrdinal() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceBinding.choose(gpus("GPU-7f3a"), true));
        assertTrue(e.getMessage().contains("'GPU-7f3a'"), e.getMessage());
    }
}
