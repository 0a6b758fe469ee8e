package io.github.xent4j;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * One call of the fused kernel, prepared by {@link VectorKernelPath}: the inputs as nio views of
 * ND4J's buffers (with the element index of their first element), the per-call constants and
 * the outputs. Row ranges of one job may run on different threads: they only read the inputs
 * and write their own rows of the outputs.
 */
final class VectorJob {
    int n;
    int k;
    /** float32 (or half, converted) inputs and outputs; null for float64 jobs. */
    FloatBuffer zF;
    FloatBuffer yF;
    FloatBuffer availF;
    FloatBuffer gradF;
    /** float64 inputs and outputs; null for float32 jobs. */
    DoubleBuffer zD;
    DoubleBuffer yD;
    DoubleBuffer availD;
    DoubleBuffer gradD;
    /**
     * Byte views of the float32 logits, labels and gradient, in the platform's byte order, for
     * rows read and written in place; null where the rows are staged.
     */
    ByteBuffer zB;
    ByteBuffer yB;
    ByteBuffer gradB;
    /** The same as the rows' vector loads and stores take them ({@code VectorRows.inPlaceView}). */
    Object zV;
    Object yV;
    Object gradV;
    /** Element index of row 0 in each buffer. */
    int zOff;
    int yOff;
    int availOff;
    int gradOff;

    /** Class id per row for class-id labels (any value where {@code rowWeight} is 0), or null for soft labels. */
    int[] classIds;
    /** Per-row multiplier (per-example mask, 0 for ignored or masked rows), or null for all 1. */
    double[] rowWeight;

    /** Per-class label factors: {@code w y' = y * a + b} (without a per-output mask). */
    float[] aF;
    float[] bF;
    double[] aD;
    double[] bD;
    /** {@code eps * w_k}, the smoothing numerator that a per-output mask divides by K_n. */
    float[] smoothF;
    double[] smoothD;
    /** Whether {@code a}, {@code b} are 1 and 0 (no class weights, no smoothing). */
    boolean plainLabels;

    /**
     * Whether rows of few classes may run several at a time, one per lane (the float32 rows);
     * off only in tests that compare with row-by-row results.
     */
    boolean columnRows = true;


    double temperature;
    double zLoss;
    double labelSmoothing;
    boolean gradient;

    /** Per-row loss (before the conversion to the output type). */
    double[] rowLoss;
}
