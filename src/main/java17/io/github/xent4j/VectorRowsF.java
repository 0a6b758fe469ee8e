package io.github.xent4j;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 rows of the fused kernel at one vector width. {@link VectorKernelPath} defines this
 * class once per width as a hidden class whose class data is the width in bits, so that the
 * species is a static final constant in each copy (the Vector API is compiled to SIMD
 * instructions only where the species is a compile-time constant).
 *
 * <p>Per row, on a copy of a block of rows in thread-local arrays: pass 1 the row maximum
 * {@code m}; pass 2 {@code e_k = exp((z_k - m) / t)} (kept for pass 3), the sum of the
 * {@code e_k} of the non-maximal entries, the count of maxima, {@code S = sum w y'} and
 * {@code sum w y' (z - m) / t}, each summed in float32 lanes over blocks of {@value #BLOCK}
 * elements and the blocks in float64; pass 3 the gradient. Inner loops have no branches: the
 * last, partial vector of a row is blended.
 */
final class VectorRowsF implements VectorRows {
    private static final VectorSpecies<Float> SP = VectorSpecies.of(float.class, VectorShape.forBitSize(bits()));
    private static final int L = SP.length();
    /** Elements per float32 partial sum; the partial sums are added in float64. */
    private static final int BLOCK = 256;
    /** Elements staged per block of rows (16 KiB per array), at least one row. */
    private static final int STAGE = 4096;
    private static final ThreadLocal<float[][]> SCRATCH = new ThreadLocal<>();
    private static volatile float[] ones = new float[0];
    private static volatile float[] zeros = new float[0];

    VectorRowsF() {
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

    /** Four arrays of at least {@code size} floats, this thread's. */
    private static float[][] scratch(int size) {
        float[][] s = SCRATCH.get();
        if (s == null || s[0].length < size) {
            s = new float[][]{new float[size], new float[size], new float[size], new float[size]};
            SCRATCH.set(s);
        }
        return s;
    }

    /** Read-only arrays of at least {@code size} ones / zeros. */
    private static float[] ones(int size) {
        float[] a = ones;
        if (a.length < size) {
            a = new float[size];
            Arrays.fill(a, 1f);
            ones = a;
        }
        return a;
    }

    private static float[] zeros(int size) {
        float[] a = zeros;
        if (a.length < size) {
            a = new float[size];
            zeros = a;
        }
        return a;
    }

    @Override
    public int crossEntropy(VectorJob job, int from, int to) {
        int k = job.k;
        int rows = Math.max(1, Math.min(to - from, STAGE / k));
        float[][] s = scratch(rows * k + L);
        float[] z = s[0];
        float[] y = s[1];
        float[] av = s[2];
        float[] g = s[3];
        int kMain = k - k % L;
        VectorMask<Float> tail = SP.indexInRange(kMain, k);
        float[] plainA = ones(k + L);
        float[] plainB = zeros(k + L);
        float[] a = job.plainLabels ? plainA : job.aF;
        float[] b = job.plainLabels ? plainB : job.bF;
        double t = job.temperature;
        float invT = (float) (1.0 / t);
        double lambda = job.zLoss;
        double[] sums = new double[4];
        for (int r0 = from; r0 < to; r0 += rows) {
            int nr = Math.min(rows, to - r0);
            job.zF.get(job.zOff + r0 * k, z, 0, nr * k);
            if (job.classIds == null) {
                job.yF.get(job.yOff + r0 * k, y, 0, nr * k);
            } else {
                Arrays.fill(y, 0, nr * k, 0f);
                for (int r = 0; r < nr; r++) {
                    if (job.rowWeight == null || job.rowWeight[r0 + r] != 0) {
                        y[r * k + job.classIds[r0 + r]] = 1f;
                    }
                }
            }
            if (job.availF != null) {
                job.availF.get(job.availOff + r0 * k, av, 0, nr * k);
            }
            for (int r = 0; r < nr; r++) {
                int row = r0 + r;
                int o = r * k;
                double w = job.rowWeight == null ? 1 : job.rowWeight[row];
                if (w == 0) {
                    Arrays.fill(g, o, o + k, 0f);
                    job.rowLoss[row] = 0;
                    continue;
                }
                float[] ra = a;
                float[] rb = b;
                if (job.availF != null) {
                    int available = stageAvailable(z, y, av, o, kMain, k, tail, job.aF, job.smoothF, job.plainLabels);
                    if (available < 0) {
                        return row;
                    }
                    if (available == 0) {                  // no available class: a masked row
                        Arrays.fill(g, o, o + k, 0f);
                        job.rowLoss[row] = 0;
                        continue;
                    }
                    ra = plainA;                           // y holds w y' now
                    rb = plainB;
                }
                float m = rowMax(z, o, kMain, k, tail);
                if (!Float.isFinite(m)) {
                    return row;                            // NaN, +inf, or every logit -inf
                }
                int maxima = rowSums(z, y, ra, rb, g, o, kMain, k, tail, m, invT, sums);
                double sumNonMax = sums[0];
                double labelSum = sums[1];
                double dot = sums[2];
                if (sums[3] < 0 || !Float.isFinite((float) labelSum)) {
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
                    float tw = (float) (t * w);
                    float zcw = (float) (zc * w);
                    if (Float.isFinite(tw) && Float.isFinite(zcw)) {
                        rowGradient(y, ra, rb, g, o, k, (float) (1 / sumExp), (float) labelSum, tw, zcw);
                    } else {
                        rowGradientInDouble(y, ra, rb, g, o, k, sumExp, labelSum, t, zc, w);
                    }
                }
            }
            if (job.gradient) {
                job.gradF.put(job.gradOff + r0 * k, g, 0, nr * k);
            }
        }
        return -1;
    }

    /** Pass 1: the row's maximum (NaN if it holds a NaN). */
    private static float rowMax(float[] z, int o, int kMain, int k, VectorMask<Float> tail) {
        FloatVector neg = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        FloatVector acc0 = neg;
        FloatVector acc1 = neg;
        int i = 0;
        for (; i + L < kMain; i += 2 * L) {
            acc0 = acc0.max(FloatVector.fromArray(SP, z, o + i));
            acc1 = acc1.max(FloatVector.fromArray(SP, z, o + i + L));
        }
        for (; i < kMain; i += L) {
            acc0 = acc0.max(FloatVector.fromArray(SP, z, o + i));
        }
        if (i < k) {
            acc1 = acc1.max(neg.blend(FloatVector.fromArray(SP, z, o + i), tail));
        }
        return acc0.max(acc1).reduceLanes(VectorOperators.MAX);
    }

    /**
     * Pass 2: writes {@code e = exp((z - m) * invT)} to {@code g}; {@code sums} receives the sum
     * of the non-maximal {@code e}, {@code S = sum w y'}, {@code sum w y' (z - m) * invT} and the
     * smallest label. Returns the number of entries equal to the maximum.
     */
    private static int rowSums(float[] z, float[] y, float[] a, float[] b, float[] g, int o, int kMain, int k,
                               VectorMask<Float> tail, float m, float invT, double[] sums) {
        double sumNonMax = 0;
        double labelSum = 0;
        double dot = 0;
        int maxima = 0;
        FloatVector minY = FloatVector.broadcast(SP, Float.POSITIVE_INFINITY);
        int i = 0;
        while (i < kMain) {
            int end = Math.min(kMain, i + BLOCK);
            FloatVector ve = FloatVector.zero(SP);
            FloatVector vs = FloatVector.zero(SP);
            FloatVector vd = FloatVector.zero(SP);
            for (; i < end; i += L) {
                FloatVector u = FloatVector.fromArray(SP, z, o + i).sub(m).mul(invT);
                FloatVector e = VectorExp.exp(u);
                e.intoArray(g, o + i);
                VectorMask<Float> top = u.compare(VectorOperators.EQ, 0f);
                maxima += top.trueCount();
                ve = ve.add(e.blend(0f, top));
                FloatVector yv = FloatVector.fromArray(SP, y, o + i);
                minY = minY.min(yv);
                FloatVector wy = yv.fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i));
                vs = vs.add(wy);
                vd = wy.fma(u, vd);
            }
            sumNonMax += ve.reduceLanes(VectorOperators.ADD);
            labelSum += vs.reduceLanes(VectorOperators.ADD);
            dot += vd.reduceLanes(VectorOperators.ADD);
        }
        if (i < k) {
            FloatVector u0 = FloatVector.fromArray(SP, z, o + i).sub(m).mul(invT);
            FloatVector u = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY).blend(u0, tail);
            FloatVector e = VectorExp.exp(u);
            e.intoArray(g, o + i);
            VectorMask<Float> top = u.compare(VectorOperators.EQ, 0f);
            maxima += top.trueCount();
            sumNonMax += e.blend(0f, top).reduceLanes(VectorOperators.ADD);
            FloatVector yv = FloatVector.zero(SP).blend(FloatVector.fromArray(SP, y, o + i), tail);
            minY = minY.min(yv);
            FloatVector wy = yv.fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i));
            labelSum += wy.reduceLanes(VectorOperators.ADD);
            dot += wy.mul(FloatVector.zero(SP).blend(u, tail)).reduceLanes(VectorOperators.ADD);
        }
        sums[0] = sumNonMax;
        sums[1] = labelSum;
        sums[2] = dot;
        sums[3] = minY.reduceLanes(VectorOperators.MIN);
        return maxima;
    }

    /** {@code sum w y' (z - m) * invT} with {@code 0 * (-inf) = 0}: for rows with {@code -inf} logits. */
    private static double dotWithInfinities(float[] z, float[] y, float[] a, float[] b, int o, int k, float m,
                                            float invT) {
        double dot = 0;
        for (int i = 0; i < k; i++) {
            float wy = Math.fma(y[o + i], a[i], b[i]);
            if (wy != 0) {
                dot += (double) wy * ((z[o + i] - m) * invT);
            }
        }
        return dot;
    }

    /** Pass 3: {@code g = tw * (p * S - w y') + zcw * p} with {@code p = e * invSum}, in place over e. */
    private static void rowGradient(float[] y, float[] a, float[] b, float[] g, int o, int k, float invSum, float s,
                                    float tw, float zcw) {
        // full vectors to the end of the row; the lanes past it are rewritten by the next row
        for (int i = 0; i < k; i += L) {
            FloatVector p = FloatVector.fromArray(SP, g, o + i).mul(invSum);
            FloatVector wy = FloatVector.fromArray(SP, y, o + i)
                    .fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i));
            p.mul(s).sub(wy).fma(p.broadcast(tw), p.mul(zcw)).intoArray(g, o + i);
        }
    }

    /** Pass 3 in float64, for rows whose scalars overflow float32 (the result may still be finite). */
    private static void rowGradientInDouble(float[] y, float[] a, float[] b, float[] g, int o, int k, double sumExp,
                                            double s, double t, double zc, double w) {
        for (int i = 0; i < k; i++) {
            double p = g[o + i] / sumExp;
            double wy = Math.fma(y[o + i], a[i], b[i]);
            g[o + i] = (float) (w * (t * (p * s - wy) + zc * p));
        }
    }

    /**
     * Per-output mask of one row: validates it (0 or 1), sets unavailable logits to -inf and
     * replaces the labels by {@code w y'} with the smoothing spread over the available classes.
     *
     * @return the number of available classes, or -1 for an invalid mask or a negative label
     */
    private static int stageAvailable(float[] z, float[] y, float[] av, int o, int kMain, int k,
                                      VectorMask<Float> tail, float[] a, float[] smooth, boolean plain) {
        int available = 0;
        boolean bad = false;
        for (int i = 0; i < k; i += L) {
            VectorMask<Float> in = i < kMain ? SP.maskAll(true) : tail;
            FloatVector m = FloatVector.fromArray(SP, av, o + i);
            VectorMask<Float> on = m.compare(VectorOperators.NE, 0f).and(in);
            available += on.trueCount();
            bad |= m.compare(VectorOperators.NE, 1f).and(on).anyTrue();
            FloatVector yv = FloatVector.fromArray(SP, y, o + i);
            bad |= yv.compare(VectorOperators.LT, 0f).and(on).anyTrue();
        }
        if (bad || available == 0) {
            return bad ? -1 : 0;
        }
        float perClass = 1f / available;
        for (int i = 0; i < k; i++) {
            if (av[o + i] != 0) {
                y[o + i] = plain ? y[o + i] : Math.fma(y[o + i], a[i], smooth[i] * perClass);
            } else {
                z[o + i] = Float.NEGATIVE_INFINITY;
                y[o + i] = 0f;
            }
        }
        return available;
    }
}
