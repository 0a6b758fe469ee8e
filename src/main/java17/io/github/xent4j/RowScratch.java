package io.github.xent4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One thread's arrays for the float32 rows read and written in place ({@code VectorRowsF}); a
 * class of its own because the rows are hidden classes, which cannot reach a nested class's
 * members.
 */
final class RowScratch {
    /** The most classes a row may have. */
    final int classes;
    /** The row's exponentials, between passes 2 and 3 (padded to whole vectors). */
    final float[] e;
    /** The row's weighted labels {@code w y'}, when they are not the labels themselves; direct, so that it is read as ND4J's buffers are. */
    final ByteBuffer weighted;
    /** The row's last {@code k mod L} logits and labels, padded to a whole vector. */
    final ByteBuffer zEnd;
    final ByteBuffer yEnd;
    /** {@link #weighted}, {@link #zEnd} and {@link #yEnd} as the rows' vector loads take them. */
    Object weightedView;
    Object zEndView;
    Object yEndView;
    /** Whether a label of the row has its sign bit set (found with the weighted labels). */
    boolean signBit;
    /** The row sums of pass 2 (the first three elements), and its scratch. */
    final double[] sums;
    /** Lane sums, {@code 3 L}. */
    final float[] lanes;

    RowScratch(int k, int lanes) {
        classes = k;
        e = new float[(k + lanes - 1) / lanes * lanes];
        zEnd = ByteBuffer.allocateDirect(4 * lanes).order(ByteOrder.nativeOrder());
        yEnd = ByteBuffer.allocateDirect(4 * lanes).order(ByteOrder.nativeOrder());
        sums = new double[4 + 3 * lanes / 2];
        this.lanes = new float[3 * lanes];
        weighted = ByteBuffer.allocateDirect(4 * k).order(ByteOrder.nativeOrder());
    }
}
