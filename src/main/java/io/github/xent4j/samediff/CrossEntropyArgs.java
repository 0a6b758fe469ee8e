package io.github.xent4j.samediff;

import io.github.xent4j.XentOptions;
import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How {@link SoftmaxCrossEntropyOp} and {@link SoftmaxCrossEntropyBpOp} store their
 * configuration in a graph, encoded and decoded here only. Saved graphs keep exactly these
 * numbers, so they are a file format: a value may be added, never renumbered.
 *
 * <ul>
 *   <li>inputs: {@code [logits, labels, classWeights?, mask?]}; the backward op appends the
 *       forward op's loss and the upstream gradient. Class weights are a float64 {@code [K]}
 *       constant.</li>
 *   <li>tArgs: {@code [labelSmoothing, temperature, zLoss]}.</li>
 *   <li>iArgs: {@code [reduction code, ignoreIndex, hasClassWeights (0/1), hasMask (0/1)]}; the
 *       backward op appends what it differentiates for ({@link #WRT_LOGITS}, {@link #WRT_LABELS},
 *       {@link #WRT_MASK}).</li>
 *   <li>reduction codes, xent4j's own (not {@code LossReduce.ordinal()}, which a later ND4J could
 *       reorder): {@link #REDUCE_NONE} 0, {@link #REDUCE_SUM} 1, {@link #REDUCE_MEAN_BY_WEIGHT} 2,
 *       {@link #REDUCE_MEAN_BY_NONZERO_WEIGHT_COUNT} 3. These equal ND4J 1.0.0-M2.1's ordinals,
 *       which is what xent4j 0.1.0 stored, so its graphs load with their meaning.</li>
 * </ul>
 */
final class CrossEntropyArgs {
    static final int REDUCE_NONE = 0;
    static final int REDUCE_SUM = 1;
    static final int REDUCE_MEAN_BY_WEIGHT = 2;
    static final int REDUCE_MEAN_BY_NONZERO_WEIGHT_COUNT = 3;

    static final int WRT_LOGITS = 0;
    static final int WRT_LABELS = 1;
    static final int WRT_MASK = 2;

    private static final int T_LABEL_SMOOTHING = 0;
    private static final int T_TEMPERATURE = 1;
    private static final int T_Z_LOSS = 2;
    private static final int I_REDUCE = 0;
    private static final int I_IGNORE_INDEX = 1;
    private static final int I_HAS_WEIGHTS = 2;
    private static final int I_HAS_MASK = 3;
    private static final int I_WRT = 4;

    final INDArray logits;
    final INDArray labels;
    final INDArray mask;
    final XentOptions options;
    final LossReduce reduce;

    private CrossEntropyArgs(INDArray logits, INDArray labels, INDArray mask, XentOptions options, LossReduce reduce) {
        this.logits = logits;
        this.labels = labels;
        this.mask = mask;
        this.options = options;
        this.reduce = reduce;
    }

    /** Stores the forward op's configuration (its inputs are already set). */
    static void encode(JavaKernelOp op, XentOptions o, LossReduce reduce, boolean hasWeights, boolean hasMask) {
        op.addTArgument(o.labelSmoothing(), o.temperature(), o.zLoss());
        op.addIArgument(reduceCode(reduce), o.ignoreIndex(), hasWeights ? 1 : 0, hasMask ? 1 : 0);
    }

    /** Stores a backward op's configuration: the forward op's, then what it differentiates for. */
    static void encodeBackward(JavaKernelOp bp, SoftmaxCrossEntropyOp forward, int wrt) {
        bp.addTArgument(forward.tArgs());
        bp.addIArgument(Arrays.copyOf(forward.iArgs(), I_WRT));
        bp.addIArgument(wrt);
    }

    static boolean hasWeights(JavaKernelOp op) {
        return op.iArg(I_HAS_WEIGHTS) != 0;
    }

    static boolean hasMask(JavaKernelOp op) {
        return op.iArg(I_HAS_MASK) != 0;
    }

    /** Index of the class-weights input, when {@link #hasWeights}. */
    static final int WEIGHTS_INPUT = 2;

    /** Index of the mask input; only when {@link #hasMask}. */
    static int maskInput(JavaKernelOp op) {
        return hasWeights(op) ? 3 : 2;
    }

    /** What a backward op differentiates for, or -1 for an op without that argument. */
    static int wrt(JavaKernelOp bp) {
        return bp.numIArguments() > I_WRT ? bp.iArg(I_WRT) : -1;
    }

    static int reduceCode(LossReduce reduce) {
        switch (reduce) {
            case NONE:
                return REDUCE_NONE;
            case SUM:
                return REDUCE_SUM;
            case MEAN_BY_WEIGHT:
                return REDUCE_MEAN_BY_WEIGHT;
            case MEAN_BY_NONZERO_WEIGHT_COUNT:
                return REDUCE_MEAN_BY_NONZERO_WEIGHT_COUNT;
            default:
                throw new IllegalArgumentException("reduce must be NONE, SUM, MEAN_BY_WEIGHT or "
                        + "MEAN_BY_NONZERO_WEIGHT_COUNT, got " + reduce);
        }
    }

    static LossReduce reduce(long code, String opName) {
        switch ((int) code) {
            case REDUCE_NONE:
                return LossReduce.NONE;
            case REDUCE_SUM:
                return LossReduce.SUM;
            case REDUCE_MEAN_BY_WEIGHT:
                return LossReduce.MEAN_BY_WEIGHT;
            case REDUCE_MEAN_BY_NONZERO_WEIGHT_COUNT:
                return LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT;
            default:
                throw new IllegalStateException(opName + ": unknown reduction code " + code
                        + " (expected 0 to 3; was the graph saved by a newer xent4j?)");
        }
    }

    /**
     * The inputs and configuration of one execution.
     *
     * @param trailing inputs after the forward op's own (the backward op's loss and upstream gradient)
     */
    static CrossEntropyArgs decode(JavaKernelOp op, List<INDArray> in, int trailing) {
        boolean hasWeights = hasWeights(op);
        boolean hasMask = hasMask(op);
        int expected = 2 + (hasWeights ? 1 : 0) + (hasMask ? 1 : 0) + trailing;
        if (in.size() != expected) {
            throw new IllegalStateException(op.opName() + ": expected " + expected + " inputs, got " + in.size());
        }
        double[] w = null;
        if (hasWeights) {
            INDArray wa = in.get(WEIGHTS_INPUT);
            if (wa.rank() != 1) {
                throw new IllegalArgumentException("classWeights must be a vector [K], got shape "
                        + Arrays.toString(wa.shape()));
            }
            w = wa.toDoubleVector();
        }
        XentOptions o = XentOptions.builder()
                .classWeights(w)
                .labelSmoothing(op.tArg(T_LABEL_SMOOTHING))
                .temperature(op.tArg(T_TEMPERATURE))
                .zLoss(op.tArg(T_Z_LOSS))
                .ignoreIndex(op.iArg(I_IGNORE_INDEX))
                .build();
        return new CrossEntropyArgs(in.get(0), in.get(1), hasMask ? in.get(maskInput(op)) : null, o,
                reduce(op.iArg(I_REDUCE), op.opName()));
    }
}
