package dev.sparkdl.ps;

import java.util.List;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * DL4J's Adam step done in one pass over each updater block: divide the summed gradient by the batch size,
 * update the moments in DL4J's own state arrays, write the update where DL4J leaves it (the gradient) and
 * subtract it from the parameters. DL4J runs the same float arithmetic as separate native ops (a divide,
 * {@code adam_updater}, a subtract), three passes over memory and one slow kernel: on this CPU they took
 * three times as long as this loop for the 203,530 parameters of the Fashion-MNIST MLP, about a fifth of a
 * two-worker step (benchmarks/README.md). The state stays DL4J's, so checkpoints and DL4J's own updater
 * see the same moments. Every operation is elementwise, so a shard owner can step just its range.
 *
 * <p>Used only where that is all DL4J's updater would do: float parameters, every updater block Adam, every
 * parameter divided by the batch (not batch norm's running statistics), no gradient normalization, no
 * regularization, no pretraining blocks; {@link #of} returns null otherwise and DL4J's updater runs.
 */
public final class FusedAdam
{
    /** {@code -Dspark-dl.fusedAdam=false} keeps DL4J's own updater everywhere (to compare the two). */
    public static final String ENABLED_PROPERTY = "spark-dl.fusedAdam";

    private final BaseMultiLayerUpdater<?> updater;
    private final INDArray params;
    private final INDArray gradient;
    private final long paramsAddress;
    private final long gradientAddress;

    private FusedAdam(BaseMultiLayerUpdater<?> updater, INDArray params, INDArray gradient)
    {
        this.updater = updater;
        this.params = params;
        this.gradient = gradient;
        this.paramsAddress = address(params);
        this.gradientAddress = address(gradient);
    }

    /**
     * @param miniBatch whether the network's configuration divides gradients by the batch size
     * @return the fused step for this updater, or null where it would not do exactly what DL4J does
     */
    public static FusedAdam of(BaseMultiLayerUpdater<?> updater, INDArray params, INDArray gradient, boolean miniBatch)
    {
        if (!Boolean.parseBoolean(System.getProperty(ENABLED_PROPERTY, "true")))
        {
            return null;
        }
        if (!miniBatch || !isDenseFloat(params) || !isDenseFloat(gradient) || params.length() != gradient.length()
                || updater.getUpdaterBlocks().isEmpty())
        {
            return null;
        }
        for (UpdaterBlock block : updater.getUpdaterBlocks())
        {
            if (!(block.getGradientUpdater() instanceof AdamUpdater adam) || block.isPretrainUpdaterBlock()
                    || adam.getM() == null || !isDenseFloat(adam.getM()) || !isDenseFloat(adam.getV())
                    || adam.getM().length() != block.getParamOffsetEnd() - block.getParamOffsetStart()
                    || adam.getV().length() != adam.getM().length())
            {
                return null;
            }
            for (UpdaterBlock.ParamState state : block.getLayersAndVariablesInBlock())
            {
                Trainable layer = state.getLayer();
                TrainingConfig config = layer.getConfig();
                List<Regularization> regularization = config.getRegularizationByParam(state.getParamName());
                GradientNormalization normalization = config.getGradientNormalization();
                if (regularization != null && !regularization.isEmpty()
                        || normalization != null && normalization != GradientNormalization.None
                        || !layer.updaterDivideByMinibatch(state.getParamName()))
                {
                    return null;
                }
            }
        }
        return new FusedAdam(updater, params, gradient);
    }

    /** A float vector (or C-ordered array) whose elements lie one after another where {@link #address} says. */
    private static boolean isDenseFloat(INDArray array)
    {
        if (array == null || array.dataType() != DataType.FLOAT || array.length() == 0
                || !(array.isVector() || array.ordering() == 'c')
                || array.length() > 1 && array.elementWiseStride() != 1)
        {
            return false;
        }
        long last = array.length() - 1;
        long at = address(array);
        return Float.floatToRawIntBits(UnsafeApi.getFloat(null, at)) == Float.floatToRawIntBits(array.getFloat(0L))
                && Float.floatToRawIntBits(UnsafeApi.getFloat(null, at + last * Float.BYTES))
                == Float.floatToRawIntBits(array.getFloat(last));
    }

    /** Whether this step still belongs to these arrays (a network's updater or views can be replaced). */
    public boolean serves(BaseMultiLayerUpdater<?> currentUpdater, INDArray currentParams, INDArray currentGradient)
    {
        return currentUpdater == updater && currentParams == params && currentGradient == gradient;
    }

    /** One optimizer step: what {@code updater.update(..)} then {@code params -= gradient} would do. */
    public void apply(int iteration, int epoch, int batchSize)
    {
        apply(iteration, epoch, batchSize, 0, params.length());
    }

    /** The step for parameters [from, to) only; the others, their gradients and moments stay as they are. */
    public void apply(int iteration, int epoch, int batchSize, long from, long to)
    {
        if (from < 0 || to > params.length() || from > to)
        {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") of " + params.length() + " parameters");
        }
        float batch = batchSize;
        for (UpdaterBlock block : updater.getUpdaterBlocks())
        {
            long start = Math.max(from, block.getParamOffsetStart());
            long end = Math.min(to, block.getParamOffsetEnd());
            if (start >= end)
            {
                continue;
            }
            AdamUpdater adam = (AdamUpdater) block.getGradientUpdater();
            Adam config = adam.getConfig();
            float beta1 = (float) config.getBeta1();
            float beta2 = (float) config.getBeta2();
            float epsilon = (float) config.getEpsilon();
            float learningRate = (float) config.getLearningRate(iteration, epoch);
            // The bias-corrected step size, as libnd4j's adam_updater computes it (in the element type).
            float beta1Power = (float) Math.pow(beta1, iteration + 1);
            float beta2Power = (float) Math.pow(beta2, iteration + 1);
            float stepSize = learningRate * (float) Math.sqrt(1f - beta2Power) / (1f - beta1Power);
            if (Float.isNaN(stepSize) || Float.isInfinite(stepSize) || stepSize == 0f)
            {
                stepSize = epsilon;
            }
            long offset = start * Float.BYTES;
            long stateOffset = (start - block.getParamOffsetStart()) * Float.BYTES;
            step(gradientAddress + offset, paramsAddress + offset, address(adam.getM()) + stateOffset,
                    address(adam.getV()) + stateOffset, end - start, batch, beta1, beta2, epsilon, stepSize);
        }
    }

    private static void step(long gradient, long params, long m, long v, long count, float batch, float beta1,
                             float beta2, float epsilon, float stepSize)
    {
        float keep1 = 1f - beta1;
        float keep2 = 1f - beta2;
        for (long at = 0, end = count * Float.BYTES; at < end; at += Float.BYTES)
        {
            float g = UnsafeApi.getFloat(null, gradient + at) / batch;
            float mi = beta1 * UnsafeApi.getFloat(null, m + at) + g * keep1;
            float vi = beta2 * UnsafeApi.getFloat(null, v + at) + g * g * keep2;
            float update = mi * stepSize / ((float) Math.sqrt(vi) + epsilon);
            UnsafeApi.putFloat(null, m + at, mi);
            UnsafeApi.putFloat(null, v + at, vi);
            UnsafeApi.putFloat(null, gradient + at, update);
            UnsafeApi.putFloat(null, params + at, UnsafeApi.getFloat(null, params + at) - update);
        }
    }

    /** The native address of a dense array's first element. */
    private static long address(INDArray array)
    {
        return new UnsafeBuffer(array.data().asNio()).addressOffset() + array.offset() * Float.BYTES;
    }
}
