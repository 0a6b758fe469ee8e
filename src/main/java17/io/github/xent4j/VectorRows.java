package io.github.xent4j;

/**
 * The row kernels of the fused path for one element type at one vector width
 * ({@link VectorRowsF}, {@link VectorRowsD}, each defined once per width as a hidden class).
 */
interface VectorRows {
    /**
     * {@code log(1 + rest)} for a row's {@code rest = (sum of exp) - 1}: {@code log1p} (StrictMath,
     * slow) only where {@code log(1 + rest)} would lose digits; from 0.01 up the rounding of
     * {@code 1 + rest} costs at most 1.1e-14 relative.
     */
    static double logOnePlus(double rest) {
        return rest < 0.01 ? Math.log1p(rest) : Math.log(1 + rest);
    }

    /** The vector width in bits. */
    int bitSize();

    /** Lanes per vector. */
    int lanes();

    /**
     * Cross-entropy of rows {@code [from, to)} of the job: writes their losses to
     * {@code job.rowLoss} and, if requested, their gradient rows.
     *
     * @return -1, or the first row whose values are invalid (then later rows are not computed)
     */
    int crossEntropy(VectorJob job, int from, int to);

    /**
     * The rows of this job run in groups of this many (1: one by one): a range of rows handed to
     * {@link #crossEntropy} on another thread should start at a multiple of it, so that every row
     * is computed the same way whatever the split.
     */
    default int rowGroup(VectorJob job) {
        return 1;
    }

    /**
     * The fewest classes of the rows that {@link #crossEntropy} reads and writes in place, through
     * the job's byte views ({@code zB}, {@code yB}, {@code gradB}), when the job has them; or
     * {@code Integer.MAX_VALUE} where rows are always staged (float64, or a JDK without the
     * Vector API's byte-buffer access).
     */
    default int inPlaceMinClasses() {
        return Integer.MAX_VALUE;
    }

    /**
     * A direct byte buffer in the platform's order as {@link #crossEntropy}'s in-place rows take it
     * (the job's {@code zV}, {@code yV}, {@code gradV}): the buffer itself, or a memory segment over it.
     */
    default Object inPlaceView(java.nio.ByteBuffer b) {
        throw new UnsupportedOperationException("rows read in place");
    }

    /**
     * Log-softmax (or, with {@code sumOnly}, log-sum-exp) of {@code n} rows of {@code k}
     * contiguous elements of a float32 buffer (float64 for the float64 rows) into {@code out}
     * ({@code n * k} elements, or {@code n}); a row that is all {@code -inf} gives {@code -inf}.
     *
     * @return false, with {@code out} partly written, if a row holds NaN or {@code +inf}
     */
    boolean logSoftmax(java.nio.Buffer x, int xOff, java.nio.Buffer out, int outOff, int n, int k, boolean sumOnly);

    /**
     * {@code out[i] = exp(x[i])} with the kernel's exp ({@code jdk}: the JDK's
     * {@code lanewise(EXP)} instead), for tests and measurements; float32 rows only.
     */
    default void exp(float[] x, float[] out, boolean jdk) {
        throw new UnsupportedOperationException("float32 exp of the float64 rows");
    }

    /** {@code out[i] = exp(x[i])} with the exp of rows whose range is narrow, for {@code x[i]} in {@code [-86, 0]}; float32 rows only. */
    default void expNarrow(float[] x, float[] out) {
        throw new UnsupportedOperationException("narrow-range exp of the float64 rows");
    }

    /** As {@link #exp(float[], float[], boolean)}, float64 rows only. */
    default void exp(double[] x, double[] out, boolean jdk) {
        throw new UnsupportedOperationException("float64 exp of the float32 rows");
    }
}
