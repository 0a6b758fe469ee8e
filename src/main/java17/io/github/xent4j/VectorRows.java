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
}
