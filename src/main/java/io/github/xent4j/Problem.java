package io.github.xent4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.Select;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Validated, converted inputs of one call of the native cross-entropy ({@link Nd4jCrossEntropy})
 * and of the value diagnosis ({@link InputChecks#diagnose}). Holds only arrays made in this call
 * (or the caller's arrays, read only).
 */
final class Problem {

    /** The shape checks every path runs first; the sizes and kinds they found. */
    static final class Shapes {
        final int n;
        final int k;
        final boolean classIds;
        final int maskKind;

        private Shapes(int n, int k, boolean classIds, int maskKind) {
            this.n = n;
            this.k = k;
            this.classIds = classIds;
            this.maskKind = maskKind;
        }

        static Shapes check(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
            if (options == null) {
                throw new IllegalArgumentException("options must not be null (use XentOptions.defaults())");
            }
            InputChecks.checkLogits(logits);
            int n = (int) logits.size(0);
            int k = (int) logits.size(1);
            boolean classIds = InputChecks.checkLabels(labels, n, k);
            int maskKind = InputChecks.checkMask(mask, n, k, classIds);
            ShapeRules.checkClassWeights(options, k);
            return new Shapes(n, k, classIds, maskKind);
        }
    }

    final int n;
    final int k;
    final DataType inType;
    final DataType computeType;
    final XentOptions options;
    /** Logits in the compute type; unavailable classes -inf; masked rows 0 if zeroed. Read only. */
    final INDArray z;
    /** Soft labels in the compute type (one-hot for class ids); masked rows 0 if zeroed. Read only. */
    final INDArray y;
    /** Per-row multipliers {@code m_n}, or null for all 1. */
    final double[] rowWeights;
    /** Per-output availability {@code [N, K]} 0/1, or null when every class is available. */
    final INDArray available;
    /** Whether y came from class ids (then it is valid by construction). */
    final boolean fromClassIds;
    /** Whether some row has multiplier 0 (masked, ignored, or no available class). */
    final boolean hasMaskedRows;
    /** The caller's inputs, for the diagnosis of invalid values. */
    final INDArray logits;
    final INDArray labels;
    final INDArray mask;

    private Problem(int n, int k, DataType inType, DataType computeType, XentOptions options, INDArray z, INDArray y,
                    double[] rowWeights, INDArray available, boolean fromClassIds, boolean hasMaskedRows,
                    INDArray logits, INDArray labels, INDArray mask) {
        this.hasMaskedRows = hasMaskedRows;
        this.logits = logits;
        this.labels = labels;
        this.mask = mask;
        this.n = n;
        this.k = k;
        this.inType = inType;
        this.computeType = computeType;
        this.options = options;
        this.z = z;
        this.y = y;
        this.rowWeights = rowWeights;
        this.available = available;
        this.fromClassIds = fromClassIds;
    }

    /**
     * {@link #rowWeights} as an {@code [N, 1]} array of {@code type} (this thread's
     * {@link NativeCalls.Scratch#ROW_WEIGHTS}, valid until the next call asks for it), or null for all 1.
     */
    INDArray rowWeightColumn(DataType type) {
        if (rowWeights == null) {
            return null;
        }
        return HostValues.writeInto(rowWeights, NativeCalls.get().scratch(NativeCalls.Scratch.ROW_WEIGHTS, type, n, 1));
    }

    /** Prepares with masked rows zeroed, as the diagnosis and the labels' gradient need them. */
    static Problem prepare(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return prepare(logits, labels, mask, options, true);
    }

    /**
     * @param zeroMaskedRows replace the logits and labels of rows with multiplier 0 by 0 (two
     *                       passes); without it they keep whatever they hold
     */
    static Problem prepare(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                           boolean zeroMaskedRows) {
        return prepare(Shapes.check(logits, labels, mask, options), logits, labels, mask, options, zeroMaskedRows);
    }

    /** {@link #prepare(INDArray, INDArray, INDArray, XentOptions, boolean)} with the shapes already checked. */
    static Problem prepare(Shapes s, INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                           boolean zeroMaskedRows) {
        int n = s.n;
        int k = s.k;
        DataType inType = logits.dataType();
        DataType ct = XentKernel.computeType(inType);
        INDArray z = logits.castTo(ct);

        double[] rowWeights = null;
        INDArray available = null;
        if (s.maskKind == InputChecks.MASK_PER_EXAMPLE) {
            rowWeights = InputChecks.rowMultipliers(mask, n);
        } else if (s.maskKind == InputChecks.MASK_PER_OUTPUT) {
            double[] a = InputChecks.availability(mask, n, k);
            available = mask.castTo(ct);
            // A row with no available class counts as masked.
            rowWeights = new double[n];
            for (int i = 0; i < a.length; i++) {
                rowWeights[i / k] = Math.max(rowWeights[i / k], a[i]);
            }
            z = select(available.neq(0), z, Nd4j.valueArrayOf(z.shape(), Double.NEGATIVE_INFINITY, ct));
        }

        INDArray y;
        if (s.classIds) {
            int[] ids = InputChecks.classIds(labels, n, k, options.ignoreIndex(), rowWeights);
            for (int i = 0; i < n; i++) {
                if (ids[i] < 0) {
                    if (rowWeights == null) {
                        rowWeights = ones(n);
                    }
                    rowWeights[i] = 0;
                }
            }
            // OneHot gives an all-zero row for the id -1 of rows that count for nothing.
            y = NewArrays.uninitialized(ct, n, k);
            Nd4j.exec(new OneHot(Nd4j.createFromArray(ids), y, k, -1, 1.0, 0.0));
        } else {
            y = labels.castTo(ct);
            if (available != null) {
                y = select(available.neq(0), y, Nd4j.zeros(ct, n, k));
            }
        }
        boolean hasMaskedRows = rowWeights != null && hasZero(rowWeights);
        if (hasMaskedRows && zeroMaskedRows) {
            // Masked rows may hold anything (NaN, inf): zero them so they cannot poison the row
            // reductions; their results are multiplied by 0 at the end.
            INDArray keep = HostValues.write(rowWeights, ct, n).neq(0);
            INDArray zeros = Nd4j.zeros(ct, n, k);
            z = select(keep, z, zeros);
            if (!s.classIds) {
                y = select(keep, y, zeros);
            }
        }
        if (rowWeights != null && allOnes(rowWeights)) {
            rowWeights = null;                            // nothing to multiply
        }
        return new Problem(n, k, inType, ct, options, z, y, rowWeights, available, s.classIds, hasMaskedRows, logits,
                labels, mask);
    }

    /** {@code out = condition ? whenTrue : whenFalse}; a condition {@code [N]} selects rows. */
    static INDArray select(INDArray condition, INDArray whenTrue, INDArray whenFalse) {
        INDArray out = NewArrays.uninitialized(whenTrue.dataType(), whenTrue.shape());
        Nd4j.exec(new Select(new INDArray[]{condition, whenTrue, whenFalse}, new INDArray[]{out}));
        return out;
    }

    private static double[] ones(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1.0);
        return a;
    }

    private static boolean hasZero(double[] a) {
        for (double v : a) {
            if (v == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean allOnes(double[] a) {
        for (double v : a) {
            if (v != 1) {
                return false;
            }
        }
        return true;
    }
}
