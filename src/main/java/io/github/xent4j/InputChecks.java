package io.github.xent4j;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.bool.MatchConditionTransform;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Condition;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Input validation of the kernel. Shape and type checks are plain Java; value checks run as
 * native reductions, and the search for the offending row and class (for the message) runs only
 * after a cheap test has failed.
 */
final class InputChecks {
    static final int MASK_NONE = 0;
    static final int MASK_PER_EXAMPLE = 1;
    static final int MASK_PER_OUTPUT = 2;

    private InputChecks() {
    }

    static void checkLogits(INDArray logits) {
        if (logits == null) {
            throw new IllegalArgumentException("logits must not be null");
        }
        ShapeRules.checkLogitsRank(logits.shape(), "");
        ShapeRules.checkFloatingPoint("logits", logits.dataType(), "");
        if (logits.size(1) < 1) {
            throw new IllegalArgumentException("logits must have at least one class, got shape "
                    + Arrays.toString(logits.shape()));
        }
    }

    /** @return true for class-id labels, false for soft labels */
    static boolean checkLabels(INDArray labels, int n, int k) {
        if (labels == null) {
            throw new IllegalArgumentException("labels must not be null");
        }
        DataType t = labels.dataType();
        if (!(t.isNumerical() || t == DataType.BOOL)) {
            throw new IllegalArgumentException("labels must be numeric, got " + t);
        }
        return ShapeRules.labelsKind(labels.shape(), new long[]{n, k}, "") == ShapeRules.CLASS_IDS;
    }

    static int checkMask(INDArray mask, int n, int k, boolean classIds) {
        if (mask == null) {
            return MASK_NONE;
        }
        if (!mask.dataType().isNumerical() && mask.dataType() != DataType.BOOL) {
            throw new IllegalArgumentException("mask must be numeric, got " + mask.dataType());
        }
        if (ShapeRules.maskKind(mask.shape(), new long[]{n, k}, "") == ShapeRules.MASK_PER_EXAMPLE) {
            return MASK_PER_EXAMPLE;
        }
        if (classIds) {
            throw new IllegalArgumentException("mask must be per-example [" + n + ", 1] or [" + n
                    + "] with class-id labels, got per-output mask " + Arrays.toString(mask.shape()));
        }
        return MASK_PER_OUTPUT;
    }

    /**
     * Per-example multipliers {@code m_n}, read exactly: any finite real (negative allowed).
     *
     * @throws IllegalArgumentException for a NaN or infinite entry
     */
    static double[] rowMultipliers(INDArray mask, int n) {
        double[] m = HostValues.read(mask);
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(m[i])) {
                throw new IllegalArgumentException("mask must be finite, got " + m[i] + " at row " + i);
            }
        }
        return m;
    }

    /**
     * Per-output availability {@code [N * K]} (c-order) of a mask of 0/1 entries.
     *
     * @throws IllegalArgumentException for an entry other than 0 and 1
     */
    static double[] availability(INDArray mask, int n, int k) {
        double[] a = HostValues.read(mask);
        for (int i = 0; i < a.length; i++) {
            if (a[i] != 0 && a[i] != 1) {
                throw new IllegalArgumentException("per-output mask entries must be 0 or 1, got " + a[i] + " at row "
                        + i / k + ", class " + i % k);
            }
        }
        return a;
    }

    /**
     * Validates the class ids of the rows with a non-zero multiplier: integers in 0..K-1 or
     * {@code ignoreIndex}, compared exactly in the labels' own type (integer types as integers,
     * floating types by their value; never rounded to the logits' type).
     *
     * @param rowWeights per-row multipliers, or null for all 1; rows with 0 are not validated
     * @return the id of each row, or -1 for rows that count for nothing (ignoreIndex, multiplier 0)
     */
    static int[] classIds(INDArray ids, int n, int k, int ignoreIndex, double[] rowWeights) {
        int[] out = new int[n];
        boolean integral = !ids.dataType().isFPType() && ids.dataType() != DataType.BOOL;
        long[] asLong = integral ? HostValues.readLongs(ids) : null;
        double[] asDouble = integral ? null : HostValues.read(ids);
        for (int i = 0; i < n; i++) {
            if (rowWeights != null && rowWeights[i] == 0) {
                out[i] = -1;
                continue;
            }
            boolean ignored;
            boolean valid;
            if (integral) {
                long id = asLong[i];
                ignored = id == ignoreIndex;
                valid = id >= 0 && id < k;
                out[i] = ignored || !valid ? -1 : (int) id;
            } else {
                double id = asDouble[i];
                ignored = id == ignoreIndex;
                valid = id >= 0 && id <= k - 1 && id == Math.floor(id);   // NaN fails
                out[i] = ignored || !valid ? -1 : (int) id;
            }
            if (!ignored && !valid) {
                throw new IllegalArgumentException("class-id labels must be integers in [0, " + (k - 1)
                        + "] or ignoreIndex (" + ignoreIndex + "), got "
                        + (integral ? (double) asLong[i] : asDouble[i]) + " at row " + i);
            }
        }
        return out;
    }

    /**
     * The value checks of {@link XentKernel#compute}, for a path that found a non-finite or
     * negative value as a side effect of its own computation and needs the message: throws the
     * documented {@link IllegalArgumentException} when the values are invalid (NaN or {@code +inf}
     * logits, an all {@code -inf} row, negative, NaN or infinite labels, bad class ids or mask
     * entries, in unmasked rows), and returns normally when they are valid (then the non-finite
     * values come from {@code -inf} logits, which the caller handles). Shapes must have been
     * checked already.
     */
    static void diagnoseValues(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        diagnose(Problem.prepare(logits, labels, mask, options));
    }

    /**
     * Finds why a fast-path result was not finite. Throws {@link IllegalArgumentException} for
     * invalid input; returns normally when the input is valid (then the non-finite values come
     * from {@code -inf} logits, which the caller handles).
     */
    private static void diagnose(Problem p) {
        INDArray z = p.z;
        int[] at = firstMatch(z, Conditions.isNan());
        if (at != null) {
            throw new IllegalArgumentException("logits must not be NaN in an unmasked row, got NaN at row " + at[0]
                    + ", class " + at[1]);
        }
        at = firstMatch(z, positiveInfinity(z.dataType()));
        if (at != null) {
            throw new IllegalArgumentException("logits must be finite or -Infinity in an unmasked row, got +Infinity at row "
                    + at[0] + ", class " + at[1]);
        }
        INDArray rowMax = Nd4j.getExecutioner().exec(new Max(z, 1));
        if (BooleanIndexing.or(rowMax, negativeInfinity(z.dataType()))) {
            int row = BooleanIndexing.firstIndex(rowMax, negativeInfinity(z.dataType())).getInt(0);
            throw new IllegalArgumentException("logits of an unmasked row must not all be -Infinity"
                    + (p.available != null ? " on its available classes" : "") + ", got row " + row
                    + " with every logit -Infinity");
        }
        if (!p.fromClassIds) {
            INDArray y = p.y;
            at = firstMatch(y, Conditions.isNan());
            if (at == null) {
                at = firstMatch(y, Conditions.isInfinite());
            }
            if (at == null) {
                at = firstMatch(y, Conditions.lessThan(0));
            }
            if (at != null) {
                throw new IllegalArgumentException("labels must be finite and >= 0 in an unmasked row, got "
                        + y.getDouble(at[0], at[1]) + " at row " + at[0] + ", class " + at[1]);
            }
        }
        INDArray sums = Nd4j.getExecutioner().exec(new Sum(p.y, 1));
        if (BooleanIndexing.or(sums, Conditions.notFinite())) {
            int row = BooleanIndexing.firstIndex(sums, Conditions.notFinite()).getInt(0);
            throw new IllegalArgumentException("labels of row " + row + " must sum to a finite value in "
                    + p.computeType + ", got " + sums.getDouble(row));
        }
    }

    /**
     * Element-wise condition test with exact comparison. ({@code INDArray.match(Number, Condition)}
     * overwrites the condition's value and compares within 1e-5, which cannot test for infinity.)
     */
    static INDArray matches(INDArray a, Condition condition) {
        INDArray out = Nd4j.createUninitialized(DataType.BOOL, a.shape());
        return Nd4j.getExecutioner().exec(new MatchConditionTransform(a, out, 0.0, condition));
    }

    /** Matches {@code +inf} in an array of the given floating type (greater than its largest finite value). */
    static Condition positiveInfinity(DataType type) {
        return Conditions.greaterThan(largestFinite(type));
    }

    /** Matches {@code -inf} in an array of the given floating type. */
    static Condition negativeInfinity(DataType type) {
        return Conditions.lessThan(-largestFinite(type));
    }

    private static double largestFinite(DataType type) {
        switch (type) {
            case DOUBLE:
                return Double.MAX_VALUE;
            case FLOAT:
                return Float.MAX_VALUE;
            case HALF:
                return 65504.0;
            case BFLOAT16:
                return 3.3895313892515355e38;
            default:
                throw new IllegalArgumentException("not a floating type: " + type);
        }
    }

    /** {@code [row, column]} of the first entry of a 2-D array meeting the condition, or null. */
    static int[] firstMatch(INDArray a, Condition condition) {
        INDArray hits = matches(a, condition).castTo(DataType.FLOAT);
        INDArray rowHit = Nd4j.getExecutioner().exec(new Max(hits, 1));
        int row = BooleanIndexing.firstIndex(rowHit, Conditions.greaterThan(0)).getInt(0);
        if (row < 0) {
            return null;
        }
        int col = BooleanIndexing.firstIndex(hits.getRow(row), Conditions.greaterThan(0)).getInt(0);
        return new int[]{row, col};
    }

    /**
     * {@code gradientOut} of {@link XentKernel#compute(INDArray, INDArray, INDArray, XentOptions,
     * XentKernel.Output, INDArray)}: a dense c-order array of the logits' shape and type that shares
     * no memory with the inputs (the kernel reads them while it writes the gradient).
     */
    static void checkGradientOut(INDArray gradientOut, XentKernel.Output output, INDArray logits, INDArray labels,
                                 INDArray mask) {
        if (output == null || !output.gradient) {
            throw new IllegalArgumentException("output must compute the gradient when gradientOut is given "
                    + "(GRADIENT, BOTH or GRADIENT_AND_LOSS_SUM), got " + output);
        }
        if (gradientOut == null) {
            throw new IllegalArgumentException("gradientOut must be an array, got null");
        }
        checkLogits(logits);
        if (!Arrays.equals(gradientOut.shape(), logits.shape()) || gradientOut.dataType() != logits.dataType()) {
            throw new IllegalArgumentException("gradientOut must have the logits' shape and type "
                    + Arrays.toString(logits.shape()) + " " + logits.dataType() + ", got "
                    + Arrays.toString(gradientOut.shape()) + " " + gradientOut.dataType());
        }
        if (!isDense(gradientOut)) {
            throw new IllegalArgumentException("gradientOut must be a dense c-order array, got strides "
                    + Arrays.toString(gradientOut.stride()) + " for shape " + Arrays.toString(gradientOut.shape()));
        }
        for (INDArray input : new INDArray[]{logits, labels, mask}) {
            if (input != null && !input.isEmpty() && !gradientOut.isEmpty()
                    && input.data().address() == gradientOut.data().address()) {
                throw new IllegalArgumentException("gradientOut must not share memory with the logits, labels or "
                        + "mask, got an array over the same buffer as one of them");
            }
        }
    }

    /** Whether {@code a}'s elements lie in c order with unit element stride (sizes of 1 may have any stride). */
    static boolean isDense(INDArray a) {
        if (a.isEmpty()) {
            return true;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }
}
