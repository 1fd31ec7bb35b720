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

    /**
     * Per-step labels {@code [rows x maxSteps*k]} (row-major by step) as an {@code RnnOutputLayer}
     * reads them, {@code [rows x k x steps]} with the steps of {@link #inputs}; the features mask
     * masks them too. Only sequences have steps.
     */
    default INDArray stepLabels(INDArray flatLabels, INDArray flat) {
        throw new IllegalStateException("per-time-step labels need sequence features, not " + this);
    }

    /** The real time steps of each row. Only sequences have steps. */
    default int[] stepCounts(INDArray flat) {
        throw new IllegalStateException("time steps need sequence features, not " + this);
    }

    /**
     * The real steps of per-step values {@code [rows x k x steps]} (network output or
     * {@link #stepLabels}) as rows {@code [sum(counts) x k]}: row i's steps in order, then row i+1's.
     */
    static INDArray realSteps(INDArray perStep, int[] counts) {
        long rows = perStep.size(0);
        long k = perStep.size(1);
        long steps = perStep.size(2);
        INDArray byStep = perStep.permute(0, 2, 1).dup('c').reshape('c', rows * steps, k);
        int total = java.util.Arrays.stream(counts).sum();
        int[] picked = new int[total];
        int n = 0;
        for (int i = 0; i < counts.length; i++) {
            for (int s = 0; s < counts[i]; s++) {
                picked[n++] = (int) (i * steps + s);
            }
        }
        return org.nd4j.linalg.factory.Nd4j.pullRows(byStep, 1, picked);
    }

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
            INDArray values = flat.get(NDArrayIndex.all(), NDArrayIndex.interval(0, (long) steps * stepWidth));
            return recurrent(values, stepWidth, usedSteps(flat));
        }

        @Override
        public INDArray stepLabels(INDArray flatLabels, INDArray flat) {
            if (flatLabels.columns() % steps != 0) {
                throw new IllegalArgumentException(flatLabels.columns() + " label values per row are not "
                        + steps + " steps of labels");
            }
            return recurrent(flatLabels, flatLabels.columns() / steps, usedSteps(flat));
        }

        @Override
        public int[] stepCounts(INDArray flat) {
            int[] counts = new int[(int) flat.rows()];
            if (!masked) {
                java.util.Arrays.fill(counts, steps);
                return counts;
            }
            INDArray lengths = maskColumns(flat).sum(1);
            for (int i = 0; i < counts.length; i++) {
                counts[i] = lengths.getInt(i);
            }
            return counts;
        }

        /** Row-major-by-step values {@code [rows x steps*perStep]} as {@code [rows x perStep x used]}. */
        private INDArray recurrent(INDArray values, long perStep, int used) {
            INDArray stepsFirst = values.dup('c').reshape('c', values.rows(), steps, perStep).permute(0, 2, 1);
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
