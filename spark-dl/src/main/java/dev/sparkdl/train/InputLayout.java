package dev.sparkdl.train;

import java.io.Serializable;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How the flat {@code [rows x width]} feature matrix of the data path becomes the network's
 * inputs: as it is, as recurrent input {@code [rows x stepWidth x steps]} with a features mask, or
 * split by columns into the several inputs of a ComputationGraph.
 */
public sealed interface InputLayout extends Serializable {

    /** Rows as they are: an MLP, or a CNN reading {@code InputType.convolutionalFlat}. */
    InputLayout FLAT = new Flat();

    /** The network's inputs, in order, for {@code flat} rows. */
    INDArray[] inputs(INDArray flat);

    /** One features mask per input ({@code [rows x steps]}), or null when every value is real. */
    INDArray[] masks(INDArray flat);

    /** A ComputationGraph's inputs side by side in each row: input i is {@code widths[i]} values. */
    static InputLayout multiInput(int... widths) {
        return new MultiInput(widths.clone());
    }

    /** Fixed-length sequences: a flat array of {@code steps x stepWidth} values, row-major by step. */
    static InputLayout sequence(int steps, int stepWidth) {
        return new Sequence(steps, stepWidth, false);
    }

    /**
     * Variable-length sequences padded to {@code maxSteps}: each row holds the step values then a
     * mask of {@code maxSteps}, as arrow-io's sequence converter writes them.
     */
    static InputLayout paddedSequence(int maxSteps, int stepWidth) {
        return new Sequence(maxSteps, stepWidth, true);
    }

    record Flat() implements InputLayout {
        @Override
        public INDArray[] inputs(INDArray flat) {
            return new INDArray[] {flat};
        }

        @Override
        public INDArray[] masks(INDArray flat) {
            return null;
        }
    }

    /** Flat inputs of a multi-input graph; each is a copy of its columns, contiguous for the network. */
    record MultiInput(int[] widths) implements InputLayout {
        public MultiInput {
            if (widths.length == 0 || java.util.Arrays.stream(widths).anyMatch(w -> w <= 0)) {
                throw new IllegalArgumentException("input widths must be positive: "
                        + java.util.Arrays.toString(widths));
            }
        }

        @Override
        public INDArray[] inputs(INDArray flat) {
            INDArray[] inputs = new INDArray[widths.length];
            long from = 0;
            for (int i = 0; i < widths.length; i++) {
                inputs[i] = flat.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + widths[i])).dup('c');
                from += widths[i];
            }
            return inputs;
        }

        @Override
        public INDArray[] masks(INDArray flat) {
            return null;
        }
    }

    /**
     * Steps are trimmed to the longest sequence of the minibatch: with the mask, LSTM output at a
     * sequence's last real step is the same however much padding follows.
     */
    record Sequence(int steps, int stepWidth, boolean masked) implements InputLayout {
        public Sequence {
            if (steps <= 0 || stepWidth <= 0) {
                throw new IllegalArgumentException("a sequence needs steps and features per step: "
                        + steps + " x " + stepWidth);
            }
        }

        /** The row width this layout reads. */
        public int width() {
            return steps * stepWidth + (masked ? steps : 0);
        }

        @Override
        public INDArray[] inputs(INDArray flat) {
            return new INDArray[] {features(flat)};
        }

        @Override
        public INDArray[] masks(INDArray flat) {
            INDArray mask = mask(flat);
            return mask == null ? null : new INDArray[] {mask};
        }

        INDArray features(INDArray flat) {
            long rows = flat.rows();
            INDArray values = flat.get(NDArrayIndex.all(), NDArrayIndex.interval(0, (long) steps * stepWidth));
            INDArray stepsFirst = values.dup('c').reshape('c', rows, steps, stepWidth).permute(0, 2, 1);
            int used = usedSteps(flat);
            INDArray trimmed = used == steps ? stepsFirst
                    : stepsFirst.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, used));
            return trimmed.dup('c');
        }

        INDArray mask(INDArray flat) {
            if (!masked) {
                return null;
            }
            INDArray mask = maskColumns(flat).get(NDArrayIndex.all(), NDArrayIndex.interval(0, usedSteps(flat)))
                    .dup('c');
            // Only a placeholder row (a rank with no rows this step) is all padding; give it one step.
            INDArray lengths = mask.sum(1);
            for (int i = 0; i < lengths.length(); i++) {
                if (lengths.getDouble(i) == 0) {
                    mask.putScalar(i, 0, 1);
                }
            }
            return mask;
        }

        private INDArray maskColumns(INDArray flat) {
            long from = (long) steps * stepWidth;
            return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + steps));
        }

        /** The longest sequence of these rows (at least 1). */
        private int usedSteps(INDArray flat) {
            if (!masked || flat.rows() == 0) {
                return steps;
            }
            INDArray any = maskColumns(flat).max(0);
            int used = 0;
            for (int s = 0; s < steps; s++) {
                if (any.getDouble(s) > 0) {
                    used = s + 1;
                }
            }
            return Math.max(used, 1);
        }
    }
}
