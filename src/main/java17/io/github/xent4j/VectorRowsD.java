package io.github.xent4j;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
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
 * elements and the blocks in float64; pass 3 the gradient. Inner loops have no branches: the
 * last, partial vector of a row is blended.
 */
final class VectorRowsD implements VectorRows {
    private static final VectorSpecies<Double> SP = VectorSpecies.of(double.class, VectorShape.forBitSize(bits()));
    private static final int L = SP.length();
    /** Elements per float64 partial sum; the partial sums are added in float64. */
    private static final int BLOCK = 256;
    /** Elements staged per block of rows (16 KiB per array), at least one row. */
    private static final int STAGE = 4096;
    private static final ThreadLocal<double[][]> SCRATCH = new ThreadLocal<>();
    private static volatile double[] ones = new double[0];
    private static volatile double[] zeros = new double[0];

    VectorRowsD() {
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

    /** Four arrays of at least {@code size} doubles, this thread's. */
    private static double[][] scratch(int size) {
        double[][] s = SCRATCH.get();
        if (s == null || s[0].length < size) {
            s = new double[][]{new double[size], new double[size], new double[size], new double[size]};
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
        int rows = Math.max(1, Math.min(to - from, STAGE / k));
        double[][] s = scratch(rows * k + L);
        double[] z = s[0];
        double[] y = s[1];
        double[] av = s[2];
        double[] g = s[3];
        int kMain = k - k % L;
        VectorMask<Double> tail = SP.indexInRange(kMain, k);
        double[] plainA = ones(k + L);
        double[] plainB = zeros(k + L);
        double[] a = job.plainLabels ? plainA : job.aD;
        double[] b = job.plainLabels ? plainB : job.bD;
        double t = job.temperature;
        double invT = (double) (1.0 / t);
        double lambda = job.zLoss;
        double[] sums = new double[4];
        for (int r0 = from; r0 < to; r0 += rows) {
            int nr = Math.min(rows, to - r0);
            job.zD.get(job.zOff + r0 * k, z, 0, nr * k);
            if (job.classIds == null) {
                job.yD.get(job.yOff + r0 * k, y, 0, nr * k);
            } else {
                Arrays.fill(y, 0, nr * k, 0.0);
                for (int r = 0; r < nr; r++) {
                    if (job.rowWeight == null || job.rowWeight[r0 + r] != 0) {
                        y[r * k + job.classIds[r0 + r]] = 1.0;
                    }
                }
            }
            if (job.availD != null) {
                job.availD.get(job.availOff + r0 * k, av, 0, nr * k);
            }
            for (int r = 0; r < nr; r++) {
                int row = r0 + r;
                int o = r * k;
                double w = job.rowWeight == null ? 1 : job.rowWeight[row];
                if (w == 0) {
                    Arrays.fill(g, o, o + k, 0.0);
                    job.rowLoss[row] = 0;
                    continue;
                }
                double[] ra = a;
                double[] rb = b;
                if (job.availD != null) {
                    int available = stageAvailable(z, y, av, o, kMain, k, tail, job.aD, job.smoothD, job.plainLabels);
                    if (available < 0) {
                        return row;
                    }
                    if (available == 0) {                  // no available class: a masked row
                        Arrays.fill(g, o, o + k, 0.0);
                        job.rowLoss[row] = 0;
                        continue;
                    }
                    ra = plainA;                           // y holds w y' now
                    rb = plainB;
                }
                double m = rowMax(z, o, kMain, k, tail);
                if (!Double.isFinite(m)) {
                    return row;                            // NaN, +inf, or every logit -inf
                }
                int maxima = rowSums(z, y, ra, rb, g, o, kMain, k, tail, m, invT, sums);
                double sumNonMax = sums[0];
                double labelSum = sums[1];
                double dot = sums[2];
                if (sums[3] < 0 || !Double.isFinite((double) labelSum)) {
                    return row;                            // negative, NaN or infinite labels
                }
                if (Double.isNaN(dot)) {
                    dot = dotWithInfinities(z, y, ra, rb, o, k, m, invT);
                }
                // log sum exp((z - m) / t) = log(maxima + sumNonMax), accurate when it is tiny
                double rest = sumNonMax + (maxima - 1);
                double logSum = Math.log1p(rest);
                double lse = m / t + logSum;
                // both terms are >= 0: no cancellation
                job.rowLoss[row] = w * (t * t * (labelSum * logSum - dot) + lambda * lse * lse);
                if (job.gradient) {
                    double sumExp = 1 + rest;
                    double zc = 2 * lambda / t * lse;
                    double tw = (double) (t * w);
                    double zcw = (double) (zc * w);
                    if (Double.isFinite(tw) && Double.isFinite(zcw)) {
                        rowGradient(y, ra, rb, g, o, k, (double) (1 / sumExp), (double) labelSum, tw, zcw);
                    } else {
                        rowGradientInDouble(y, ra, rb, g, o, k, sumExp, labelSum, t, zc, w);
                    }
                }
            }
            if (job.gradient) {
                job.gradD.put(job.gradOff + r0 * k, g, 0, nr * k);
            }
        }
        return -1;
    }

    /** Pass 1: the row's maximum (NaN if it holds a NaN). */
    private static double rowMax(double[] z, int o, int kMain, int k, VectorMask<Double> tail) {
        DoubleVector neg = DoubleVector.broadcast(SP, Double.NEGATIVE_INFINITY);
        DoubleVector acc0 = neg;
        DoubleVector acc1 = neg;
        int i = 0;
        for (; i + L < kMain; i += 2 * L) {
            acc0 = acc0.max(DoubleVector.fromArray(SP, z, o + i));
            acc1 = acc1.max(DoubleVector.fromArray(SP, z, o + i + L));
        }
        for (; i < kMain; i += L) {
            acc0 = acc0.max(DoubleVector.fromArray(SP, z, o + i));
        }
        if (i < k) {
            acc1 = acc1.max(neg.blend(DoubleVector.fromArray(SP, z, o + i), tail));
        }
        return acc0.max(acc1).reduceLanes(VectorOperators.MAX);
    }

    /**
     * Pass 2: writes {@code e = exp((z - m) * invT)} to {@code g}; {@code sums} receives the sum
     * of the non-maximal {@code e}, {@code S = sum w y'}, {@code sum w y' (z - m) * invT} and the
     * smallest label. Returns the number of entries equal to the maximum.
     */
    private static int rowSums(double[] z, double[] y, double[] a, double[] b, double[] g, int o, int kMain, int k,
                               VectorMask<Double> tail, double m, double invT, double[] sums) {
        double sumNonMax = 0;
        double labelSum = 0;
        double dot = 0;
        int maxima = 0;
        DoubleVector minY = DoubleVector.broadcast(SP, Double.POSITIVE_INFINITY);
        int i = 0;
        while (i < kMain) {
            int end = Math.min(kMain, i + BLOCK);
            DoubleVector ve = DoubleVector.zero(SP);
            DoubleVector vs = DoubleVector.zero(SP);
            DoubleVector vd = DoubleVector.zero(SP);
            for (; i < end; i += L) {
                DoubleVector u = DoubleVector.fromArray(SP, z, o + i).sub(m).mul(invT);
                DoubleVector e = VectorExp.exp(u);
                e.intoArray(g, o + i);
                VectorMask<Double> top = u.compare(VectorOperators.EQ, 0.0);
                maxima += top.trueCount();
                ve = ve.add(e.blend(0.0, top));
                DoubleVector yv = DoubleVector.fromArray(SP, y, o + i);
                minY = minY.min(yv);
                DoubleVector wy = yv.fma(DoubleVector.fromArray(SP, a, i), DoubleVector.fromArray(SP, b, i));
                vs = vs.add(wy);
                vd = wy.fma(u, vd);
            }
            sumNonMax += ve.reduceLanes(VectorOperators.ADD);
            labelSum += vs.reduceLanes(VectorOperators.ADD);
            dot += vd.reduceLanes(VectorOperators.ADD);
        }
        if (i < k) {
            DoubleVector u0 = DoubleVector.fromArray(SP, z, o + i).sub(m).mul(invT);
            DoubleVector u = DoubleVector.broadcast(SP, Double.NEGATIVE_INFINITY).blend(u0, tail);
            DoubleVector e = VectorExp.exp(u);
            e.intoArray(g, o + i);
            VectorMask<Double> top = u.compare(VectorOperators.EQ, 0.0);
            maxima += top.trueCount();
            sumNonMax += e.blend(0.0, top).reduceLanes(VectorOperators.ADD);
            DoubleVector yv = DoubleVector.zero(SP).blend(DoubleVector.fromArray(SP, y, o + i), tail);
            minY = minY.min(yv);
            DoubleVector wy = yv.fma(DoubleVector.fromArray(SP, a, i), DoubleVector.fromArray(SP, b, i));
            labelSum += wy.reduceLanes(VectorOperators.ADD);
            dot += wy.mul(DoubleVector.zero(SP).blend(u, tail)).reduceLanes(VectorOperators.ADD);
        }
        sums[0] = sumNonMax;
        sums[1] = labelSum;
        sums[2] = dot;
        sums[3] = minY.reduceLanes(VectorOperators.MIN);
        return maxima;
    }

    /** {@code sum w y' (z - m) * invT} with {@code 0 * (-inf) = 0}: for rows with {@code -inf} logits. */
    private static double dotWithInfinities(double[] z, double[] y, double[] a, double[] b, int o, int k, double m,
                                            double invT) {
        double dot = 0;
        for (int i = 0; i < k; i++) {
            double wy = Math.fma(y[o + i], a[i], b[i]);
            if (wy != 0) {
                dot += (double) wy * ((z[o + i] - m) * invT);
            }
        }
        return dot;
    }

    /** Pass 3: {@code g = tw * (p * S - w y') + zcw * p} with {@code p = e * invSum}, in place over e. */
    private static void rowGradient(double[] y, double[] a, double[] b, double[] g, int o, int k, double invSum, double s,
                                    double tw, double zcw) {
        // full vectors to the end of the row; the lanes past it are rewritten by the next row
        for (int i = 0; i < k; i += L) {
            DoubleVector p = DoubleVector.fromArray(SP, g, o + i).mul(invSum);
            DoubleVector wy = DoubleVector.fromArray(SP, y, o + i)
                    .fma(DoubleVector.fromArray(SP, a, i), DoubleVector.fromArray(SP, b, i));
            p.mul(s).sub(wy).fma(p.broadcast(tw), p.mul(zcw)).intoArray(g, o + i);
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
     *
     * @return the number of available classes, or -1 for an invalid mask or a negative label
     */
    private static int stageAvailable(double[] z, double[] y, double[] av, int o, int kMain, int k,
                                      VectorMask<Double> tail, double[] a, double[] smooth, boolean plain) {
        int available = 0;
        boolean bad = false;
        for (int i = 0; i < k; i += L) {
            VectorMask<Double> in = i < kMain ? SP.maskAll(true) : tail;
            DoubleVector m = DoubleVector.fromArray(SP, av, o + i);
            VectorMask<Double> on = m.compare(VectorOperators.NE, 0.0).and(in);
            available += on.trueCount();
            bad |= m.compare(VectorOperators.NE, 1.0).and(on).anyTrue();
            DoubleVector yv = DoubleVector.fromArray(SP, y, o + i);
            bad |= yv.compare(VectorOperators.LT, 0.0).and(on).anyTrue();
        }
        if (bad || available == 0) {
            return bad ? -1 : 0;
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
