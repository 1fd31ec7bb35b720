package dev.sparkdl.bench.e2e;

import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.Loader;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.factory.Nd4j;

import dev.sparkdl.data.FashionMnist;
import dev.sparkdl.demo.FashionMnistDemo;

/**
 * One child JVM of {@link BackendBenchmark}: trains the Fashion-MNIST MLP single-process with whatever
 * nd4j-native build is on its class path and prints one {@value #RESULT_TAG} line: the native library
 * JavaCPP actually loaded, the thread count, training-loop samples/s and test accuracy.
 *
 * <p>Arguments: {@code threads epochs batchSize trainLimit testLimit}.
 */
public final class BackendProbe {
    static final String RESULT_TAG = "BACKEND_RESULT";
    private static final long NETWORK_SEED = 12345;

    private BackendProbe() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int epochs = Integer.parseInt(args[1]);
        int batchSize = Integer.parseInt(args[2]);
        int trainLimit = Integer.parseInt(args[3]);
        int testLimit = Integer.parseInt(args[4]);

        Nd4j.create(1); // loads the backend, so the loaded library can be read below
        SingleProcessDl4j dl4j = SingleProcessDl4j.fromRows(FashionMnist.trainRows(trainLimit),
                FashionMnist.testRows(testLimit), FashionMnist.CLASSES);
        MultiLayerConfiguration mlp = FashionMnistDemo.mlp(NETWORK_SEED);
        NativeThreadSetting.uniform(threads).apply();
        dl4j.warmUp(mlp, batchSize);
        RunResult result = dl4j.run("probe", mlp, threads, epochs, batchSize, 42);
        System.out.printf(Locale.ROOT, "%s\t%s\t%d\t%.1f\t%.4f%n", RESULT_TAG, loadedNativeBuild(), threads,
                result.loopSamplesPerSecond(), result.testAccuracy());
        System.exit(0);
    }

    /** The platform folder of the loaded libnd4jcpu, e.g. {@code linux-x86_64-avx2}. */
    private static String loadedNativeBuild() {
        for (Map.Entry<String, String> library : Loader.getLoadedLibraries().entrySet()) {
            String path = library.getValue();
            if (path != null && path.contains("nd4jcpu")) {
                String folder = path.substring(0, path.lastIndexOf('/'));
                return folder.substring(folder.lastIndexOf('/') + 1);
            }
        }
        return "unknown";
    }
}
