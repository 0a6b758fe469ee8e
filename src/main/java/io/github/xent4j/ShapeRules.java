package io.github.xent4j;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The shape rules of xent4j's inputs (and that logits are floating point), written once for both
 * front ends: the kernel (and through it the DL4J loss) applies them to arrays, {@code XentSameDiff}
 * to the shapes a graph knows when it is built. Not an API for users: public only because the front ends live in two packages.
 *
 * <p>A size of {@code -1} means "not known yet" (a SameDiff placeholder) and matches any size.
 * Each check throws {@link IllegalArgumentException} naming the argument, the expected and the
 * actual shape; {@code context} is appended to the message (for example the variable's name),
 * empty for none.
 */
public final class ShapeRules {
    /** Labels of shape {@code [N, K]}. */
    public static final int SOFT_LABELS = 0;
    /** Labels of shape {@code [N]} or {@code [N, 1]} (for K = 1, {@code [N, 1]} is soft). */
    public static final int CLASS_IDS = 1;
    /** Mask of shape {@code [N]} or {@code [N, 1]} (for K = 1, {@code [N, 1]} is per-example). */
    public static final int MASK_PER_EXAMPLE = 1;
    /** Mask of shape {@code [N, K]}. */
    public static final int MASK_PER_OUTPUT = 2;

    private ShapeRules() {
    }

    /** Logits must have rank 2, {@code [N, K]}. */
    public static void checkLogitsRank(long[] logits, String context) {
        if (logits.length != 2) {
            throw new IllegalArgumentException("logits must have rank 2, shape [N, K], got rank " + logits.length
                    + " with shape " + Arrays.toString(logits) + context);
        }
    }

    /**
     * Labels for logits {@code [n, k]}: soft labels {@code [n, k]}, or class ids {@code [n, 1]}
     * or {@code [n]}.
     *
     * @return {@link #SOFT_LABELS} or {@link #CLASS_IDS}
     */
    public static int labelsKind(long[] labels, long[] logits, String context) {
        long n = logits[0];
        long k = logits[1];
        if (labels.length == 1 && same(labels[0], n)) {
            return CLASS_IDS;
        }
        if (labels.length == 2 && same(labels[0], n) && same(labels[1], k)) {
            return SOFT_LABELS;
        }
        if (labels.length == 2 && same(labels[0], n) && labels[1] == 1) {
            return CLASS_IDS;
        }
        String nk = "[" + size(n, "N") + ", " + size(k, "K") + "]";
        throw new IllegalArgumentException("labels shape " + Arrays.toString(labels) + " does not match logits "
                + shape(logits) + ": expected soft labels " + nk + " or class ids [" + size(n, "N") + ", 1] or ["
                + size(n, "N") + "]" + context);
    }

    /**
     * A mask for logits {@code [n, k]}: per-example {@code [n, 1]} or {@code [n]}, or per-output
     * {@code [n, k]}.
     *
     * @return {@link #MASK_PER_EXAMPLE} or {@link #MASK_PER_OUTPUT}
     */
    public static int maskKind(long[] mask, long[] logits, String context) {
        long n = logits[0];
        long k = logits[1];
        if ((mask.length == 1 && same(mask[0], n)) || (mask.length == 2 && same(mask[0], n) && mask[1] == 1)) {
            return MASK_PER_EXAMPLE;
        }
        if (mask.length == 2 && same(mask[0], n) && same(mask[1], k)) {
            return MASK_PER_OUTPUT;
        }
        throw new IllegalArgumentException("mask shape " + Arrays.toString(mask) + " does not match logits "
                + shape(logits) + ": expected per-example [" + size(n, "N") + ", 1] or [" + size(n, "N")
                + "], or per-output [" + size(n, "N") + ", " + size(k, "K") + "]" + context);
    }

    /** Logits and the inputs of log-softmax and log-sum-exp must be floating point. */
    public static void checkFloatingPoint(String name, DataType type, String context) {
        if (!type.isFPType()) {
            throw new IllegalArgumentException(name + " must be floating point (FLOAT, DOUBLE, HALF, BFLOAT16), got "
                    + type + context);
        }
    }

    /** Class weights must have one entry per class ({@code k}; nothing is checked while k is unknown). */
    public static void checkClassWeightCount(int count, long k) {
        if (k >= 0 && count != k) {
            throw new IllegalArgumentException("classWeights must have length K = " + k
                    + " (the number of classes, logits.size(1)), got length " + count);
        }
    }

    /** {@link #checkClassWeightCount} for the options' class weights, if they have any. */
    public static void checkClassWeights(XentOptions options, long k) {
        if (options.hasClassWeights()) {
            checkClassWeightCount(options.classWeightCount(), k);
        }
    }

    /**
     * A dimension of an input of the given shape: in {@code [-rank, rank)}, negative counting from
     * the end.
     *
     * @return the dimension in {@code [0, rank)}
     */
    public static int checkDimension(String name, long[] shape, int dimension, String context) {
        int rank = shape.length;
        if (rank < 1 || dimension < -rank || dimension >= rank) {
            throw new IllegalArgumentException("dimension must be in [" + (-rank) + ", " + (rank - 1) + "] for " + name
                    + " of shape " + Arrays.toString(shape) + context + ", got " + dimension);
        }
        return dimension < 0 ? dimension + rank : dimension;
    }

    private static boolean same(long a, long b) {
        return a < 0 || b < 0 || a == b;
    }

    private static String size(long s, String unknown) {
        return s < 0 ? unknown : Long.toString(s);
    }

    private static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
