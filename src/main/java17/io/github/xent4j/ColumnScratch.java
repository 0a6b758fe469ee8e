package io.github.xent4j;

/**
 * One thread's arrays for the float32 rows that run one per lane ({@code VectorRowsF}); a class
 * of its own because the rows are hidden classes, which cannot reach a nested class's members.
 */
final class ColumnScratch {
    /** Class-major copies of a block of rows: element {@code i L + j} is class i of row j. */
    final float[] z;
    final float[] y;
    final float[] e;
    /** Row-major staging of a block, {@code L k} elements. */
    final float[] raw;
    /** Per row (lane) of the block. */
    final float[] max;
    final float[] min;
    final float[] c;
    final float[] minusTw;
    final int[] maxima;
    final double[] sumNonMax;
    final double[] labelSum;
    final double[] dot;

    ColumnScratch(int lanes, int maxClasses) {
        z = new float[maxClasses * lanes];
        y = new float[maxClasses * lanes];
        e = new float[maxClasses * lanes];
        raw = new float[maxClasses * lanes];
        max = new float[lanes];
        min = new float[lanes];
        c = new float[lanes];
        minusTw = new float[lanes];
        maxima = new int[lanes];
        sumNonMax = new double[lanes];
        labelSum = new double[lanes];
        dot = new double[lanes];
    }
}
