package io.github.xent4j;

/**
 * The row kernels of the fused path for one element type at one vector width
 * ({@link VectorRowsF}, {@link VectorRowsD}, each defined once per width as a hidden class).
 */
interface VectorRows {
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
     * {@code out[i] = exp(x[i])} with the kernel's exp ({@code jdk}: the JDK's
     * {@code lanewise(EXP)} instead), for tests and measurements; float32 rows only.
     */
    default void exp(float[] x, float[] out, boolean jdk) {
        throw new UnsupportedOperationException("float32 exp of the float64 rows");
    }

    /** As {@link #exp(float[], float[], boolean)}, float64 rows only. */
    default void exp(double[] x, double[] out, boolean jdk) {
        throw new UnsupportedOperationException("float64 exp of the float32 rows");
    }
}
