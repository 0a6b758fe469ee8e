package io.github.xent4j;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float64 rows of the fused kernel at one vector width. {@link VectorKernelPath} defines this
 * class once per width as a hidden class whose class data is the width in bits, so that the
 * species is a static final constant in each copy (the Vector API is compiled to SIMD
 * instructions only where the species is a compile-time constant).
 *
 * <p>Per row, on a copy of a block of rows in thread-local arrays: pass 1 the row maximum
 * {@code m}; pass 2 {@code e_k = exp((z_k - m) / t)} (kept for pass 3), the sum of the
 * {@code e_k} of the non-maximal entries, the count of maxima, {@code S = sum w y'} and
 * {@code sum w y' (z - m) / t}, each summed in float64 lanes over blocks of {@value #BLOCK}
 * elements and the blocks in float64; pass 3 the gradient. Inner loops have no branches: rows
 * are padded to whole vectors, with {@code -inf} for pass 1 and then with the row maximum and
 * label 0 (exponential 1, excluded from the sum and from the count of maxima).
 *
 * <p>This is {@link VectorRowsF} with double for float, with its own exp, the float maximum in
 * pass 1 (64-bit integer maxima are slow on AVX2) and lane sums added lane by lane: the Vector
 * API has no element-generic form that compiles to SIMD instructions, so change both together.
 */
final class VectorRowsD implements VectorRows {
    private static final VectorSpecies<Double> SP = VectorSpecies.of(double.class, VectorShape.forBitSize(bits()));
    private static final VectorSpecies<Long> SPI = VectorSpecies.of(long.class, SP.vectorShape());
    private static final int L = SP.length();
    /** Elements per float64 partial sum; the partial sums are added in float64. */
    private static final int BLOCK = 256;
    /** Elements staged per block of rows (16 KiB per array), at least one row. */
    private static final int STAGE = 4096;
    /** Rows at least this long are copied one by one between the buffers and the padded rows; shorter rows in one copy per block and then within the heap. */
    private static final int DIRECT_ROW_COPY = 64;
    /**
     * As in the float32 rows, below float64's normal range (2^-1022); summing again in float64
     * rounds as before (kept for the same structure as the float32 rows).
     */
    private static final double TINY_LABEL_SUM = 0x1p-960;
    private static final ThreadLocal<double[][]> SCRATCH = new ThreadLocal<>();
    /** Lane indices, for the masks of a row's last vector (see {@code VectorRowsF}). */
    private static final double[] LANE_INDEX = laneIndex();
    private static volatile double[] ones = new double[0];
    private static volatile double[] zeros = new double[0];

    VectorRowsD() {
    }

    private static double[] laneIndex() {
        double[] a = new double[L];
        for (int j = 0; j < L; j++) {
            a[j] = j;
        }
        return a;
    }

    /** The lanes of the vector at {@code from} that lie at or beyond {@code end} (at most L beyond). */
    private static VectorMask<Double> beyond(int from, int end) {
        return DoubleVector.fromArray(SP, LANE_INDEX, 0).compare(VectorOperators.GE, (double) (end - from));
    }

    private static int bits() {
        try {
            return MethodHandles.classData(MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, Integer.class);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int bitSize() {
        return SP.vectorBitSize();
    }

    @Override
    public int lanes() {
        return L;
    }

    // exp-begin
    // As in the float32 rows, with 1.5 * 2^52 for the rounding and the Taylor polynomial of degree
    // 13 (|r|^14 / 14! < 5e-18).
    private static final double LOG2E = 1.4426950408889634;
    private static final double SHIFT = 6755399441055744.0;
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
    private static final double LN2_HI = 6.93147180369123816490e-01;
    private static final double LN2_LO = 1.90821492927058770002e-10;
    /** exp rounds to 0 below -745.14 and overflows above 709.79; the clamp keeps n in [-1077, 1025]. */
    private static final double EXP_MIN = -746;
    private static final double EXP_MAX = 710;

    /** {@code exp} of every lane: -inf and underflow give +0.0, overflow +inf, NaN stays NaN, exp(0) = 1. */
    static DoubleVector exp(DoubleVector x) {
        // compare and blend: cheaper than max/min with Java's NaN rules, and NaN stays NaN
        return expUpToMax(x.blend(EXP_MAX, x.compare(VectorOperators.GT, EXP_MAX)));
    }

    /** {@code exp} of lanes that are at most {@code EXP_MAX}, such as every {@code (z - m) / t <= 0} of a row. */
    private static DoubleVector expUpToMax(DoubleVector x) {
        x = x.blend(EXP_MIN, x.compare(VectorOperators.LT, EXP_MIN));
        DoubleVector shifted = x.fma(LOG2E, SHIFT);
        DoubleVector n = shifted.sub(SHIFT);
        DoubleVector r = n.fma(DoubleVector.broadcast(SP, -LN2_HI), x);
        r = n.fma(DoubleVector.broadcast(SP, -LN2_LO), r);
        DoubleVector p = r.fma(1.0 / 6227020800.0, 1.0 / 479001600.0)     // 1/13!, 1/12!
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 39916800.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 3628800.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 362880.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 40320.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 5040.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 720.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 120.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 24.0))
                .fma(r, DoubleVector.broadcast(SP, 1.0 / 6.0))
                .fma(r, DoubleVector.broadcast(SP, 0.5));
        p = p.mul(r.mul(r)).add(r).add(1.0);
        LongVector ni = ((LongVector) shifted.reinterpretShape(SPI, 0)).sub(SHIFT_BITS);
        LongVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        LongVector n2 = ni.sub(n1);
        DoubleVector s1 = (DoubleVector) n1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretShape(SP, 0);
        DoubleVector s2 = (DoubleVector) n2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretShape(SP, 0);
        return p.mul(s1).mul(s2);
    }
    // exp-end

    @Override
    public void exp(double[] x, double[] out, boolean jdk) {
        int i = 0;
        for (; i + L <= x.length; i += L) {
            DoubleVector v = DoubleVector.fromArray(SP, x, i);
            (jdk ? v.lanewise(VectorOperators.EXP) : exp(v)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            DoubleVector v = DoubleVector.broadcast(SP, x[i]);
            out[i] = (jdk ? v.lanewise(VectorOperators.EXP) : exp(v)).lane(0);
        }
    }

    /** Six arrays of at least {@code size} doubles and one of {@code 3 * L} (lane sums), this thread's. */
    private static double[][] scratch(int size) {
        double[][] s = SCRATCH.get();
        if (s == null || s[0].length < size) {
            s = new double[][]{new double[size], new double[size], new double[size], new double[size], new double[size], new double[size],
                    new double[3 * L]};
            SCRATCH.set(s);
        }
        return s;
    }

    /** Read-only arrays of at least {@code size} ones / zeros. */
    private static double[] ones(int size) {
        double[] a = ones;
        if (a.length < size) {
            a = new double[size];
            Arrays.fill(a, 1.0);
            ones = a;
        }
        return a;
    }

    private static double[] zeros(int size) {
        double[] a = zeros;
        if (a.length < size) {
            a = new double[size];
            zeros = a;
        }
        return a;
    }

    @Override
    public int crossEntropy(VectorJob job, int from, int to) {
        int k = job.k;
        // rows are padded to whole vectors: kp elements apart in the scratch arrays
        int kp = (k + L - 1) / L * L;
        int rows = Math.max(1, Math.min(to - from, STAGE / kp));
        double[][] s = scratch(rows * kp + L);
        double[] z = s[0];
        double[] y = s[1];
        double[] av = s[2];
        double[] g = s[3];
        double[] raw = s[4];
        double[] weighted = s[5];
        double[] lanes = s[6];
        double[] plainA = ones(kp);
        double[] plainB = zeros(kp);
        double[] a = job.plainLabels ? plainA : job.aD;
        double[] b = job.plainLabels ? plainB : job.bD;
        double t = job.temperature;
        double invT = (double) (1.0 / t);
        double lambda = job.zLoss;
        double[] sums = new double[4];
        for (int r0 = from; r0 < to; r0 += rows) {
            int nr = Math.min(rows, to - r0);
            stage(job.zD, job.zOff + r0 * k, z, raw, nr, k, kp, Double.NEGATIVE_INFINITY);
            if (job.classIds == null) {
                stage(job.yD, job.yOff + r0 * k, y, raw, nr, k, kp, 0.0);
            } else {
                Arrays.fill(y, 0, nr * kp, 0.0);
                for (int r = 0; r < nr; r++) {
                    if (job.rowWeight == null || job.rowWeight[r0 + r] != 0) {
                        y[r * kp + job.classIds[r0 + r]] = 1.0;
                    }
                }
            }
            if (job.availD != null) {
                stage(job.availD, job.availOff + r0 * k, av, raw, nr, k, kp, 0.0);
            }
            for (int r = 0; r < nr; r++) {
                int row = r0 + r;
                int o = r * kp;
                double w = job.rowWeight == null ? 1 : job.rowWeight[row];
                if (w == 0) {
                    Arrays.fill(g, o, o + kp, 0.0);
                    job.rowLoss[row] = 0;
                    continue;
                }
                double[] ra = a;
                double[] rb = b;
                if (job.availD != null) {
                    int available = stageAvailable(z, y, av, o, k, job.aD, job.smoothD, job.plainLabels);
                    if (available < 0) {
                        return row;
                    }
                    if (available == 0) {                  // no available class: a masked row
                        Arrays.fill(g, o, o + kp, 0.0);
                        job.rowLoss[row] = 0;
                        continue;
                    }
                    ra = plainA;                           // y holds w y' now
                    rb = plainB;
                }
                double m = rowMax(z, o, kp);
                if (!Double.isFinite(m)) {
                    return row;                            // NaN, +inf, or every logit -inf
                }
                // the padding becomes maxima with label 0: exp = 1, excluded from the sum, not counted
                padLastVector(z, o, k, kp, m);
                // w y' = y without class weights and smoothing; else in an array of its own (y stays
                // the labels, for the float64 sums below)
                double[] wy = y;
                if (ra != plainA) {
                    if (weightedLabels(y, ra, rb, weighted, o, kp)) {
                        return row;                        // a negative label
                    }
                    wy = weighted;
                }
                int maxima = rowSums(z, wy, g, o, kp, m, invT, sums, lanes) - (kp - k);
                double sumNonMax = sums[0];
                double labelSum = sums[1];
                double dot = sums[2];
                if (sums[3] < 0 || !Double.isFinite((double) labelSum)) {
                    return row;                            // negative, NaN or infinite labels
                }
                if (!Double.isFinite(dot)) {
                    // 0 * (-inf) in a lane, or a lane product or partial sum beyond the type's
                    // range while the row's loss may still be representable: again in float64
                    dot = dotInDouble(z, y, ra, rb, o, k, m, t);
                }
                if (labelSum > 0 && labelSum < TINY_LABEL_SUM) {
                    // weighted labels below the type's normal range are rounded to a fixed
                    // spacing, not to its precision: rows whose labels are all that small are
                    // summed again from the labels in float64
                    labelSum = labelSumInDouble(y, ra, rb, o, k);
                    dot = dotInDouble(z, y, ra, rb, o, k, m, t);
                }
                // log sum exp((z - m) / t) = log(maxima + sumNonMax), accurate when it is tiny
                double rest = sumNonMax + (maxima - 1);
                double logSum = VectorRows.logOnePlus(rest);
                double lse = m / t + logSum;
                // both terms are >= 0: no cancellation
                job.rowLoss[row] = w * (t * t * (labelSum * logSum - dot) + lambda * lse * lse);
                if (job.gradient) {
                    double sumExp = 1 + rest;
                    double zc = 2 * lambda / t * lse;
                    double tw = (double) (t * w);
                    double zcw = (double) (zc * w);
                    // g = e * c - t w y' with c = (t S + zc) w / sumExp: one rounding of c, where
                    // neither t w S nor t w y' can overflow; else t (p S - w y') + zc p as written
                    double c = (double) ((t * labelSum + zc) * w / sumExp);
                    if (Double.isFinite((double) (t * w * labelSum)) && Double.isFinite(c)) {
                        rowGradientFused(wy, g, o, kp, c, tw);
                    } else if (Double.isFinite(tw) && Double.isFinite(zcw)) {
                        rowGradient(wy, g, o, kp, (double) (1 / sumExp), (double) labelSum, tw, zcw);
                    } else {
                        rowGradientInDouble(y, ra, rb, g, o, k, sumExp, labelSum, t, zc, w);
                    }
                }
            }
            if (job.gradient) {
                unstage(g, raw, job.gradD, job.gradOff + r0 * k, nr, k, kp);
            }
        }
        return -1;
    }

    @Override
    public boolean logSoftmax(Buffer xBuffer, int xOff, Buffer outBuffer, int outOff, int n, int k, boolean sumOnly) {
        DoubleBuffer x = (DoubleBuffer) xBuffer;
        DoubleBuffer out = (DoubleBuffer) outBuffer;
        int kp = (k + L - 1) / L * L;
        int rows = Math.max(1, Math.min(n, STAGE / kp));
        double[][] s = scratch(rows * kp + L);
        double[] z = s[0];
        double[] g = s[3];
        double[] raw = s[4];
        double[] lanes = s[6];
        double[] noLabels = zeros(rows * kp + L);
        double[] sums = new double[4];
        for (int r0 = 0; r0 < n; r0 += rows) {
            int nr = Math.min(rows, n - r0);
            stage(x, xOff + r0 * k, z, raw, nr, k, kp, Double.NEGATIVE_INFINITY);
            for (int r = 0; r < nr; r++) {
                int o = r * kp;
                double m = rowMax(z, o, kp);
                if (!Double.isFinite(m)) {
                    if (m != Double.NEGATIVE_INFINITY) {
                        return false;                      // NaN or +inf: the ND4J path defines those
                    }
                    // an all -inf slice: -inf
                    if (sumOnly) {
                        out.put(outOff + r0 + r, m);
                    } else {
                        Arrays.fill(g, o, o + kp, m);
                    }
                    continue;
                }
                padLastVector(z, o, k, kp, m);
                int maxima = rowSums(z, noLabels, g, o, kp, m, 1.0, sums, lanes) - (kp - k);
                double rest = sums[0] + (maxima - 1);
                double logSum = VectorRows.logOnePlus(rest);
                if (sumOnly) {
                    out.put(outOff + r0 + r, (double) (m + logSum));
                } else {
                    // (z - m) - log sum exp(z - m): never m + logSum subtracted from z
                    double ls = (double) logSum;
                    for (int i = 0; i < kp; i += L) {
                        DoubleVector.fromArray(SP, z, o + i).sub(m).sub(ls).intoArray(g, o + i);
                    }
                }
            }
            if (!sumOnly) {
                unstage(g, raw, out, outOff + r0 * k, nr, k, kp);
            }
        }
        return true;
    }

    /** Copies {@code nr} rows of {@code k} from the buffer into rows {@code kp} apart, the padding set to {@code pad}. */
    private static void stage(DoubleBuffer from, int index, double[] to, double[] raw, int nr, int k, int kp, double pad) {
        if (kp == k) {
            from.get(index, to, 0, nr * k);
            return;
        }
        if (k >= DIRECT_ROW_COPY) {
            for (int r = 0; r < nr; r++) {
                from.get(index + r * k, to, r * kp, k);
                Arrays.fill(to, r * kp + k, (r + 1) * kp, pad);
            }
            return;
        }
        from.get(index, raw, 0, nr * k);
        // whole vectors, the last one's lanes beyond the row replaced by pad (raw has L spare elements)
        VectorMask<Double> beyond = beyond(kp - L, k);
        for (int r = 0; r < nr; r++) {
            int i = 0;
            for (; i < kp - L; i += L) {
                DoubleVector.fromArray(SP, raw, r * k + i).intoArray(to, r * kp + i);
            }
            DoubleVector.fromArray(SP, raw, r * k + i).blend(pad, beyond).intoArray(to, r * kp + i);
        }
    }

    /** Copies {@code nr} rows {@code kp} apart into the buffer, {@code k} elements each. */
    private static void unstage(double[] from, double[] raw, DoubleBuffer to, int index, int nr, int k, int kp) {
        if (kp == k) {
            to.put(index, from, 0, nr * k);
            return;
        }
        if (k >= DIRECT_ROW_COPY) {
            for (int r = 0; r < nr; r++) {
                to.put(index + r * k, from, r * kp, k);
            }
            return;
        }
        // whole vectors in row order: a row's last vector runs into the next row's place, which
        // that row then overwrites (the last row's into raw's L spare elements)
        for (int r = 0; r < nr; r++) {
            for (int i = 0; i < kp; i += L) {
                DoubleVector.fromArray(SP, from, r * kp + i).intoArray(raw, r * k + i);
            }
        }
        to.put(index, raw, 0, nr * k);
    }

    /** Sets the padding of a row ({@code o + k} to {@code o + kp}) to {@code m}: one blend of its last vector. */
    private static void padLastVector(double[] z, int o, int k, int kp, double m) {
        int last = o + kp - L;
        DoubleVector.fromArray(SP, z, last).blend(m, beyond(kp - L, k)).intoArray(z, last);
    }

    /** Pass 1: the row's maximum (NaN if it holds a NaN). */
    private static double rowMax(double[] z, int o, int kp) {
        DoubleVector acc0 = DoubleVector.broadcast(SP, Double.NEGATIVE_INFINITY);
        DoubleVector acc1 = acc0;
        int i = 0;
        for (; i + L < kp; i += 2 * L) {
            acc0 = acc0.max(DoubleVector.fromArray(SP, z, o + i));
            acc1 = acc1.max(DoubleVector.fromArray(SP, z, o + i + L));
        }
        if (i < kp) {
            acc0 = acc0.max(DoubleVector.fromArray(SP, z, o + i));
        }
        return acc0.max(acc1).reduceLanes(VectorOperators.MAX);
    }

    /**
     * Pass 2, with {@code wy} the weighted smoothed labels {@code w y'}: writes
     * {@code e = exp((z - m) * invT)} to {@code g}; {@code sums} receives the sum
     * of the non-maximal {@code e}, {@code S = sum w y'}, {@code sum w y' (z - m) * invT} and -1
     * if a label is negative (else 0). Returns the number of entries equal to the maximum.
     *
     * <p>Each block's lane sums are added in float64 in lane order: {@code reduceLanes(ADD)}
     * leaves the order open, and the JIT's and the interpreter's orders differ on some JDKs (25),
     * which would make the same call give different last bits before and after compilation.
     * Every vector accumulator lives within one block: a vector or mask carried across the block
     * loop is boxed on every iteration by C2 (JDK 17), which allocates and slows the loop by half.
     * A negative label sets a sign bit in the OR of the labels' bits; only then is the row
     * searched for one ({@code -0.0} sets it too; NaN labels make {@code S} NaN and are found
     * there).
     *
     * @param lanes scratch of at least {@code 3 * L} elements
     */
    private static int rowSums(double[] z, double[] wy, double[] g, int o, int kp, double m,
                               double invT, double[] sums, double[] lanes) {
        double sumNonMax = 0;
        double labelSum = 0;
        double dot = 0;
        long signs = 0;
        int maxima = 0;
        int i = 0;
        while (i < kp) {
            int end = Math.min(kp, i + BLOCK);
            DoubleVector ve = DoubleVector.zero(SP);
            DoubleVector vs = DoubleVector.zero(SP);
            DoubleVector vd = DoubleVector.zero(SP);
            LongVector vn = LongVector.zero(SPI);
            for (; i < end; i += L) {
                DoubleVector u = DoubleVector.fromArray(SP, z, o + i).sub(m).mul(invT);
                DoubleVector e = expUpToMax(u);
                e.intoArray(g, o + i);
                VectorMask<Double> top = u.compare(VectorOperators.EQ, 0.0);
                maxima += top.trueCount();
                ve = ve.add(e.blend(0.0, top));
                DoubleVector yv = DoubleVector.fromArray(SP, wy, o + i);
                vn = vn.or((LongVector) yv.reinterpretShape(SPI, 0));
                vs = vs.add(yv);
                vd = yv.fma(u, vd);
            }
            ve.intoArray(lanes, 0);
            vs.intoArray(lanes, L);
            vd.intoArray(lanes, 2 * L);
            double se = 0;
            double ss = 0;
            double sd = 0;
            for (int j = 0; j < L; j++) {
                se += lanes[j];
                ss += lanes[L + j];
                sd += lanes[2 * L + j];
            }
            sumNonMax += se;
            labelSum += ss;
            dot += sd;
            signs |= vn.reduceLanes(VectorOperators.OR);
        }
        sums[0] = sumNonMax;
        sums[1] = labelSum;
        sums[2] = dot;
        sums[3] = signs < 0 && hasNegative(wy, o, kp) ? -1 : 0;
        return maxima;
    }

    /** Whether an element of {@code y[o, o + kp)} is below zero. */
    private static boolean hasNegative(double[] y, int o, int kp) {
        for (int i = o; i < o + kp; i++) {
            if (y[i] < 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code sum w y' (z - m) / t} in float64, with {@code 0 * (-inf) = 0}: for rows with
     * {@code -inf} logits and rows whose lane products or partial sums overflow the compute type
     * (a label's logit far below the maximum). {@code -inf} only for a label on a {@code -inf} logit.
     */
    private static double dotInDouble(double[] z, double[] y, double[] a, double[] b, int o, int k, double m, double t) {
        double dot = 0;
        for (int i = 0; i < k; i++) {
            double wy = Math.fma((double) y[o + i], a[i], b[i]);
            if (wy != 0) {
                double u = ((double) z[o + i] - m) / t;
                if (Double.isInfinite(u) && z[o + i] != Double.NEGATIVE_INFINITY) {
                    u = z[o + i] / t - m / t;              // float64 rows: z - m beyond the range, (z - m) / t not
                }
                dot += wy * u;
            }
        }
        return dot;
    }

    /** {@code S = sum w y'} in float64, for rows whose weighted labels are all tiny. */
    private static double labelSumInDouble(double[] y, double[] a, double[] b, int o, int k) {
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += Math.fma((double) y[o + i], a[i], b[i]);
        }
        return s;
    }

    /** Pass 3: {@code g = e * c - tw * w y'}, in place over e. */
    private static void rowGradientFused(double[] wy, double[] g, int o, int kp, double c, double tw) {
        for (int i = 0; i < kp; i += L) {
            DoubleVector.fromArray(SP, g, o + i).fma(DoubleVector.broadcast(SP, c), DoubleVector.fromArray(SP, wy, o + i).mul(-tw))
                    .intoArray(g, o + i);
        }
    }

    /** {@code wy = y a + b} (the weighted smoothed labels) of a row; true if a label is negative. */
    private static boolean weightedLabels(double[] y, double[] a, double[] b, double[] wy, int o, int kp) {
        LongVector signs = LongVector.zero(SPI);
        for (int i = 0; i < kp; i += L) {
            DoubleVector yv = DoubleVector.fromArray(SP, y, o + i);
            signs = signs.or((LongVector) yv.reinterpretShape(SPI, 0));
            yv.fma(DoubleVector.fromArray(SP, a, i), DoubleVector.fromArray(SP, b, i)).intoArray(wy, o + i);
        }
        // a sign bit is set by negative labels, -0.0 and some NaNs (those make S NaN, found there)
        return signs.reduceLanes(VectorOperators.OR) < 0 && hasNegative(y, o, kp);
    }

    /** Pass 3: {@code g = tw * (p * S - w y') + zcw * p} with {@code p = e * invSum}, in place over e. */
    private static void rowGradient(double[] wy, double[] g, int o, int kp, double invSum, double s,
                                    double tw, double zcw) {
        for (int i = 0; i < kp; i += L) {
            DoubleVector p = DoubleVector.fromArray(SP, g, o + i).mul(invSum);
            p.mul(s).sub(DoubleVector.fromArray(SP, wy, o + i)).fma(p.broadcast(tw), p.mul(zcw)).intoArray(g, o + i);
        }
    }

    /** Pass 3 in float64, for rows whose scalars overflow float64 (kept for the same structure as the float32 rows). */
    private static void rowGradientInDouble(double[] y, double[] a, double[] b, double[] g, int o, int k, double sumExp,
                                            double s, double t, double zc, double w) {
        for (int i = 0; i < k; i++) {
            double p = g[o + i] / sumExp;
            double wy = Math.fma(y[o + i], a[i], b[i]);
            g[o + i] = (double) (w * (t * (p * s - wy) + zc * p));
        }
    }

    /**
     * Per-output mask of one row: validates it (0 or 1), sets unavailable logits to -inf and
     * replaces the labels by {@code w y'} with the smoothing spread over the available classes.
     * Rare enough to be scalar.
     *
     * @return the number of available classes, or -1 for an invalid mask or a negative label
     */
    private static int stageAvailable(double[] z, double[] y, double[] av, int o, int k, double[] a, double[] smooth,
                                      boolean plain) {
        int available = 0;
        for (int i = o; i < o + k; i++) {
            if (av[i] != 0) {
                if (av[i] != 1 || y[i] < 0) {
                    return -1;                             // NaN mask entries too
                }
                available++;
            }
        }
        if (available == 0) {
            return 0;
        }
        double perClass = 1.0 / available;
        for (int i = 0; i < k; i++) {
            if (av[o + i] != 0) {
                y[o + i] = plain ? y[o + i] : Math.fma(y[o + i], a[i], smooth[i] * perClass);
            } else {
                z[o + i] = Double.NEGATIVE_INFINITY;
                y[o + i] = 0.0;
            }
        }
        return available;
    }
}
