package io.github.xent4j;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
 * elements and the blocks in float64; pass 3 the gradient. Inner loops have no branches: rows
 * are padded to whole vectors, with {@code -inf} for pass 1 and then with the row maximum and
 * label 0 (exponential 1, excluded from the sum and from the count of maxima).
 *
 * <p>From 256 bits, rows of at most {@link #COLUMN_MAX_K} classes run {@code L} at a time, one
 * row per lane ({@link #columnBlock}), where the reductions across lanes would cost more than the
 * row's arithmetic; a block with an unusual row runs again row by row. Rows of at least
 * {@link #IN_PLACE_MIN_K} classes are read and written in place where the JDK can
 * ({@link #inPlaceRow}), with the staged rows' results bit for bit; an unusual row runs staged.
 *
 * <p>{@link VectorRowsD} is this code with double for float, with its own exp, the float maximum
 * in pass 1 (64-bit integer maxima are slow on AVX2) and lane sums added lane by lane: the
 * Vector API has no element-generic form that compiles to SIMD instructions, so change both
 * together.
 */
final class VectorRowsF implements VectorRows {
    private static final VectorSpecies<Float> SP = VectorSpecies.of(float.class, VectorShape.forBitSize(bits()));
    private static final VectorSpecies<Integer> SPI = VectorSpecies.of(int.class, SP.vectorShape());
    /** float64 lanes of the same width, for adding float32 lane sums. */
    private static final VectorSpecies<Double> SPD = VectorSpecies.of(double.class, SP.vectorShape());
    private static final int L = SP.length();
    /** Whether lane sums are added in float64 vector lanes first (8 lanes or more). */
    private static final boolean WIDE = L >= 8;
    /** Elements per float32 partial sum; the partial sums are added in float64. */
    private static final int BLOCK = 256;
    /** Elements staged per block of rows (16 KiB per array), at least one row. */
    private static final int STAGE = 4096;
    /** Rows at least this long are copied one by one between the buffers and the padded rows; shorter rows in one copy per block and then within the heap. */
    private static final int DIRECT_ROW_COPY = 64;
    /**
     * Rows whose {@code S = sum w y'} is below this are summed again in float64: a weighted label
     * below float32's normal range (2^-126) is rounded to a multiple of 2^-149, which for the
     * smallest ones is far from float32's precision; with {@code S} above 2^-64 that absolute
     * error is below 2^-85 S per class and unit of {@code |u|}, well inside the tolerance's
     * {@code a T} term.
     */
    private static final double TINY_LABEL_SUM = 0x1p-64;
    private static final ThreadLocal<float[][]> SCRATCH = new ThreadLocal<>();
    /**
     * Up to JDK 18, rows are read and written in place with {@code FloatVector.fromByteBuffer} and
     * {@code intoByteBuffer} on byte views of ND4J's buffers. Later JDKs replaced these with
     * {@code fromMemorySegment} and {@code intoMemorySegment}, whose {@code MemorySegment} a
     * class compiled for Java 17 cannot name: from JDK 22 (where {@code java.lang.foreign} is
     * final) they are reached through method handles, which C2 inlines like a direct call.
     */
    private static final boolean BYTE_BUFFER_ACCESS = hasByteBufferAccess();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** {@code (VectorSpecies, MemorySegment as Object, long, ByteOrder) -> FloatVector}, or null. */
    private static final MethodHandle SEGMENT_LOAD;
    /** {@code (FloatVector, MemorySegment as Object, long, ByteOrder) -> void}, or null. */
    private static final MethodHandle SEGMENT_STORE;
    /** {@code MemorySegment.ofBuffer}, {@code (Buffer) -> Object}, or null. */
    private static final MethodHandle SEGMENT_OF_BUFFER;

    static {
        MethodHandle[] h = BYTE_BUFFER_ACCESS ? null : segmentAccess();
        SEGMENT_LOAD = h == null ? null : h[0];
        SEGMENT_STORE = h == null ? null : h[1];
        SEGMENT_OF_BUFFER = h == null ? null : h[2];
    }

    /** Whether float32 rows can be read and written in place in this JVM. */
    static final boolean IN_PLACE = BYTE_BUFFER_ACCESS || SEGMENT_LOAD != null;
    /**
     * Rows of at least this many classes are read and written in place where {@link #IN_PLACE};
     * shorter ones are staged (measured: their per-row costs outweigh the copies).
     */
    static final int IN_PLACE_MIN_K = 64;
    private static final ThreadLocal<RowScratch> ROW_SCRATCH = new ThreadLocal<>();
    /**
     * Lane indices, for the masks of a row's last vector: compared in a vector, while a
     * species' {@code indexInRange} is computed lane by lane and allocates on JDK 17 (twice per row).
     */
    private static final float[] LANE_INDEX = laneIndex();
    private static final int[] LANE_INDEX_INT = laneIndexInt();
    private static volatile float[] ones = new float[0];
    private static volatile float[] zeros = new float[0];

    VectorRowsF() {
    }

    private static float[] laneIndex() {
        float[] a = new float[L];
        for (int j = 0; j < L; j++) {
            a[j] = j;
        }
        return a;
    }

    private static int[] laneIndexInt() {
        int[] a = new int[L];
        for (int j = 0; j < L; j++) {
            a[j] = j;
        }
        return a;
    }

    /** The lanes of the vector at {@code from} that lie at or beyond {@code end} (at most L beyond). */
    private static VectorMask<Float> beyond(int from, int end) {
        return FloatVector.fromArray(SP, LANE_INDEX, 0).compare(VectorOperators.GE, (float) (end - from));
    }

    private static boolean hasByteBufferAccess() {
        try {
            FloatVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class, ByteOrder.class);
            FloatVector.class.getMethod("intoByteBuffer", ByteBuffer.class, int.class, ByteOrder.class);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** Method handles for the memory-segment access of JDK 22 and later; null where there is none. */
    private static MethodHandle[] segmentAccess() {
        if (Runtime.version().feature() < 22) {
            return null;                                   // java.lang.foreign is a preview API before 22
        }
        try {
            Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            MethodHandle load = lookup.findStatic(FloatVector.class, "fromMemorySegment",
                    MethodType.methodType(FloatVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class));
            MethodHandle store = lookup.findVirtual(FloatVector.class, "intoMemorySegment",
                    MethodType.methodType(void.class, segment, long.class, ByteOrder.class));
            MethodHandle ofBuffer = lookup.findStatic(segment, "ofBuffer", MethodType.methodType(segment, Buffer.class));
            return new MethodHandle[]{
                load.asType(MethodType.methodType(FloatVector.class, VectorSpecies.class, Object.class, long.class,
                        ByteOrder.class)),
                store.asType(MethodType.methodType(void.class, FloatVector.class, Object.class, long.class, ByteOrder.class)),
                ofBuffer.asType(MethodType.methodType(Object.class, Buffer.class))};
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    /** What {@link #load} and {@link #store} take for a direct byte buffer in the platform's order. */
    private static Object view(ByteBuffer b) {
        if (BYTE_BUFFER_ACCESS) {
            return b;
        }
        try {
            return (Object) SEGMENT_OF_BUFFER.invokeExact((Buffer) b);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Object inPlaceView(ByteBuffer b) {
        return view(b);
    }

    /** The vector at byte {@code index} of a {@link #view}. */
    private static FloatVector load(Object view, int index) {
        if (BYTE_BUFFER_ACCESS) {
            return FloatVector.fromByteBuffer(SP, (ByteBuffer) view, index, NATIVE);
        }
        try {
            return (FloatVector) SEGMENT_LOAD.invokeExact(SP, view, (long) index, NATIVE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stores {@code v} at byte {@code index} of a {@link #view}. */
    private static void store(FloatVector v, Object view, int index) {
        if (BYTE_BUFFER_ACCESS) {
            v.intoByteBuffer((ByteBuffer) view, index, NATIVE);
            return;
        }
        try {
            SEGMENT_STORE.invokeExact(v, view, (long) index, NATIVE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
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
    // exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cody-Waite: ln 2
    // in two parts); exp(r) = 1 + r + r^2 P(r), Cephes' degree-7 polynomial for float; 2^n from
    // exponent bits in two factors 2^(n/2) 2^(n - n/2), each a normal number, so that subnormal
    // results are rounded once. round(x log2 e) adds 1.5 * 2^23: the fraction bits then hold n.
    // Each width's copy of this class has its own copy of this method (no shared, polluted profiles).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float SHIFT = 12582912f;
    private static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** exp rounds to 0 below -103.97 and overflows above 88.73; the clamp keeps n in [-150, 128]. */
    private static final float EXP_MIN = -104f;
    private static final float EXP_MAX = 89f;

    /** {@code exp} of every lane: -inf and underflow give +0.0, overflow +inf, NaN stays NaN, exp(0) = 1. */
    static FloatVector exp(FloatVector x) {
        // compare and blend: cheaper than max/min with Java's NaN rules, and NaN stays NaN
        return expUpToMax(x.blend(EXP_MAX, x.compare(VectorOperators.GT, EXP_MAX)));
    }

    /** {@code exp} of lanes that are at most {@code EXP_MAX}, such as every {@code (z - m) / t <= 0} of a row. */
    private static FloatVector expUpToMax(FloatVector x) {
        x = x.blend(EXP_MIN, x.compare(VectorOperators.LT, EXP_MIN));
        FloatVector shifted = x.fma(LOG2E, SHIFT);
        FloatVector p = expOfRemainder(x, shifted);
        IntVector ni = ((IntVector) shifted.reinterpretShape(SPI, 0)).sub(SHIFT_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = (FloatVector) n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretShape(SP, 0);
        FloatVector s2 = (FloatVector) n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretShape(SP, 0);
        return p.mul(s1).mul(s2);
    }

    /** {@code exp(r)} for {@code r = x - n ln 2}, {@code n = shifted - SHIFT}: both exps' reduction and polynomial. */
    private static FloatVector expOfRemainder(FloatVector x, FloatVector shifted) {
        FloatVector n = shifted.sub(SHIFT);
        FloatVector r = n.fma(FloatVector.broadcast(SP, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(SP, -LN2_LO), r);
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f)
                .fma(r, FloatVector.broadcast(SP, 8.3334519073E-3f))
                .fma(r, FloatVector.broadcast(SP, 4.1665795894E-2f))
                .fma(r, FloatVector.broadcast(SP, 1.6666665459E-1f))
                .fma(r, FloatVector.broadcast(SP, 5.0000001201E-1f));
        p = p.mul(r.mul(r)).add(r).add(1f);
        return p;
    }

    /**
     * {@link #expUpToMax} for lanes in {@code [NARROW_MIN, 0]}, with the same bits: there
     * {@code n >= -124}, so {@code 2^n} is one normal factor and {@code p 2^n} is rounded once, as
     * with two factors; no clamp is needed. Six vector operations fewer.
     */
    private static FloatVector expNarrow(FloatVector x) {
        FloatVector shifted = x.fma(LOG2E, SHIFT);
        FloatVector p = expOfRemainder(x, shifted);
        IntVector ni = ((IntVector) shifted.reinterpretShape(SPI, 0)).sub(SHIFT_BITS);
        return p.mul((FloatVector) ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretShape(SP, 0));
    }

    /** The lower end of {@link #expNarrow}'s range: {@code round(-86 log2 e) = -124}, two binades above float32's normal range. */
    private static final float NARROW_MIN = -86f;

    /** Whether every {@code (z - m) / t} of a row with maximum {@code m} and minimum {@code min} is at least {@link #NARROW_MIN}. */
    private static boolean narrowRange(float m, float min, double t) {
        // in float64, with room for the rounding of (z - m) * (1 / t) in float32
        return ((double) m - min) / t <= -NARROW_MIN * 0.999;
    }
    // exp-end

    @Override
    public void exp(float[] x, float[] out, boolean jdk) {
        int i = 0;
        for (; i + L <= x.length; i += L) {
            FloatVector v = FloatVector.fromArray(SP, x, i);
            (jdk ? v.lanewise(VectorOperators.EXP) : exp(v)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            FloatVector v = FloatVector.broadcast(SP, x[i]);
            out[i] = (jdk ? v.lanewise(VectorOperators.EXP) : exp(v)).lane(0);
        }
    }

    @Override
    public void expNarrow(float[] x, float[] out) {
        int i = 0;
        for (; i + L <= x.length; i += L) {
            expNarrow(FloatVector.fromArray(SP, x, i)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            out[i] = expNarrow(FloatVector.broadcast(SP, x[i])).lane(0);
        }
    }

    /** Six arrays of at least {@code size} floats and one of {@code 3 * L} (lane sums), this thread's. */
    private static float[][] scratch(int size) {
        float[][] s = SCRATCH.get();
        if (s == null || s[0].length < size) {
            s = new float[][]{new float[size], new float[size], new float[size], new float[size], new float[size], new float[size],
                    new float[3 * L]};
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
        if (columns(job)) {
            ColumnScratch c = columnScratch();
            int end = from + (to - from) / L * L;
            for (int r0 = from; r0 < end; r0 += L) {
                if (!columnBlock(job, r0, c)) {
                    // an unusual row in the block: the block again row by row, which validates,
                    // handles every special case and overwrites all of the block's results
                    int bad = rowByRow(job, r0, r0 + L);
                    if (bad >= 0) {
                        return bad;
                    }
                }
            }
            from = end;
        }
        return inPlace(job) ? inPlaceRows(job, from, to) : rowByRow(job, from, to);
    }

    @Override
    public int inPlaceMinClasses() {
        return IN_PLACE ? IN_PLACE_MIN_K : Integer.MAX_VALUE;
    }

    @Override
    public int rowGroup(VectorJob job) {
        return columns(job) ? L : 1;
    }

    /** Whether the job's rows run {@code L} at a time ({@link #columnBlock}), all but the last {@code n mod L}. */
    private static boolean columns(VectorJob job) {
        // 4 lanes: the float64 lane sums below are slow where F2D is not compiled to SIMD
        return job.columnRows && WIDE && job.k <= COLUMN_MAX_K && job.availF == null;
    }

    /** Rows of the fused kernel, one at a time (the padded row layout of the class comment). */
    private int rowByRow(VectorJob job, int from, int to) {
        int k = job.k;
        // rows are padded to whole vectors: kp elements apart in the scratch arrays
        int kp = (k + L - 1) / L * L;
        int rows = Math.max(1, Math.min(to - from, STAGE / kp));
        float[][] s = scratch(rows * kp + L);
        float[] z = s[0];
        float[] y = s[1];
        float[] av = s[2];
        float[] g = s[3];
        float[] raw = s[4];
        float[] weighted = s[5];
        float[] lanes = s[6];
        float[] plainA = ones(kp);
        float[] plainB = zeros(kp);
        float[] a = job.plainLabels ? plainA : job.aF;
        float[] b = job.plainLabels ? plainB : job.bF;
        double t = job.temperature;
        float invT = (float) (1.0 / t);
        double lambda = job.zLoss;
        double[] sums = new double[4 + 3 * L / 2];
        for (int r0 = from; r0 < to; r0 += rows) {
            int nr = Math.min(rows, to - r0);
            stage(job.zF, job.zOff + r0 * k, z, raw, nr, k, kp, Float.NEGATIVE_INFINITY);
            if (job.classIds == null) {
                stage(job.yF, job.yOff + r0 * k, y, raw, nr, k, kp, 0f);
            } else {
                Arrays.fill(y, 0, nr * kp, 0f);
                for (int r = 0; r < nr; r++) {
                    if (job.rowWeight == null || job.rowWeight[r0 + r] != 0) {
                        y[r * kp + job.classIds[r0 + r]] = 1f;
                    }
                }
            }
            if (job.availF != null) {
                stage(job.availF, job.availOff + r0 * k, av, raw, nr, k, kp, 0f);
            }
            for (int r = 0; r < nr; r++) {
                int row = r0 + r;
                int o = r * kp;
                double w = job.rowWeight == null ? 1 : job.rowWeight[row];
                if (w == 0) {
                    Arrays.fill(g, o, o + kp, 0f);
                    job.rowLoss[row] = 0;
                    continue;
                }
                float[] ra = a;
                float[] rb = b;
                if (job.availF != null) {
                    int available = stageAvailable(z, y, av, o, k, job.aF, job.smoothF, job.plainLabels);
                    if (available < 0) {
                        return row;
                    }
                    if (available == 0) {                  // no available class: a masked row
                        Arrays.fill(g, o, o + kp, 0f);
                        job.rowLoss[row] = 0;
                        continue;
                    }
                    ra = plainA;                           // y holds w y' now
                    rb = plainB;
                }
                long extremes = rowExtremes(z, o, k, kp);
                float m = maxOf(extremes);
                if (!Float.isFinite(m)) {
                    return row;                            // NaN, +inf, or every logit -inf
                }
                boolean narrow = narrowRange(m, minOf(extremes), t);
                // the padding becomes maxima with label 0: exp = 1, excluded from the sum, not counted
                padLastVector(z, o, k, kp, m);
                // w y' = y without class weights and smoothing; else in an array of its own (y stays
                // the labels, for the float64 sums below)
                float[] wy = y;
                if (ra != plainA) {
                    if (weightedLabels(y, ra, rb, weighted, o, kp)) {
                        return row;                        // a negative label
                    }
                    wy = weighted;
                }
                int maxima = rowSums(z, wy, g, o, kp, m, invT, narrow, sums, lanes) - (kp - k);
                double sumNonMax = sums[0];
                double labelSum = sums[1];
                double dot = sums[2];
                if (sums[3] < 0 || !Float.isFinite((float) labelSum) || Double.isNaN(sumNonMax)) {
                    return row;                            // negative, NaN or infinite labels; a NaN logit
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
                    float tw = (float) (t * w);
                    float zcw = (float) (zc * w);
                    // g = e * c - t w y' with c = (t S + zc) w / sumExp: one rounding of c, where
                    // neither t w S nor t w y' can overflow; else t (p S - w y') + zc p as written
                    float c = (float) ((t * labelSum + zc) * w / sumExp);
                    if (Float.isFinite((float) (t * w * labelSum)) && Float.isFinite(c)) {
                        rowGradientFused(wy, g, o, kp, c, tw);
                    } else if (Float.isFinite(tw) && Float.isFinite(zcw)) {
                        rowGradient(wy, g, o, kp, (float) (1 / sumExp), (float) labelSum, tw, zcw);
                    } else {
                        rowGradientInDouble(y, ra, rb, g, o, k, sumExp, labelSum, t, zc, w);
                    }
                }
            }
            if (job.gradient) {
                unstage(g, raw, job.gradF, job.gradOff + r0 * k, nr, k, kp);
            }
        }
        return -1;
    }

    /** Whether the job's rows are read and written in place ({@link #inPlaceRow}); all of them, then. */
    private static boolean inPlace(VectorJob job) {
        return job.zV != null;                             // VectorKernelPath sets it only for such jobs
    }

    /**
     * Rows of many classes read and written in place: each row that needs anything but the
     * common case runs again through {@link #rowByRow}, which validates it and handles every
     * special case.
     */
    private int inPlaceRows(VectorJob job, int from, int to) {
        RowScratch s = ROW_SCRATCH.get();
        if (s == null || s.classes < job.k) {
            s = new RowScratch(job.k, L);
            s.weightedView = view(s.weighted);
            s.zEndView = view(s.zEnd);
            s.yEndView = view(s.yEnd);
            ROW_SCRATCH.set(s);
        }
        for (int row = from; row < to; row++) {
            if (!inPlaceRow(job, row, s)) {
                int bad = rowByRow(job, row, row + 1);
                if (bad >= 0) {
                    return bad;
                }
            }
        }
        return -1;
    }

    /**
     * One row of {@link #rowByRow}'s math, with vector loads and stores on ND4J's buffers instead
     * of staged copies: the passes' loads then overlap the arithmetic, where copies of blocks of
     * rows run between it (measured: 0.6 of the copies' time per element at 4096 x 1000 went to
     * memory latency). No padding: a row's last, partial vector is the vector that ends at the
     * row's end, overlapping the one before it; pass 1's extremes and the stores see its
     * overlapping lanes twice, which changes nothing, and pass 2 counts only its new lanes. The
     * exponentials go to {@code s.e} between passes 2 and 3.
     *
     * @return false, with nothing of the row written, if it needs one of {@link #rowByRow}'s
     *         special cases: an invalid value, a {@code -inf} logit under a positive label, a
     *         sign bit in a label ({@code -0.0} too), tiny label sums, scalars beyond float32
     */
    private static boolean inPlaceRow(VectorJob job, int row, RowScratch s) {
        int k = job.k;
        double w = job.rowWeight == null ? 1 : job.rowWeight[row];
        int gi = 4 * (job.gradOff + row * k);
        if (w == 0) {
            job.rowLoss[row] = 0;
            if (job.gradient) {
                zeroRowInPlace(job.gradV, gi, k);
            }
            return true;
        }
        int zi = 4 * (job.zOff + row * k);
        int yi = 4 * (job.yOff + row * k);
        long extremes = rowStartInPlace(job, zi, yi, s);
        float m = maxOf(extremes);
        if (!Float.isFinite(m) || s.signBit) {
            return false;                                  // NaN, +inf, every logit -inf; a label's sign bit
        }
        double t = job.temperature;
        Object wy = job.plainLabels ? job.yV : s.weightedView;
        int wyi = job.plainLabels ? yi : 0;
        int maxima = rowSumsInPlace(job.zV, zi, wy, wyi, s.zEndView, s.yEndView, s.e, k, m, (float) (1.0 / t),
                narrowRange(m, minOf(extremes), t), s.sums, s.lanes);
        double sumNonMax = s.sums[0];
        double labelSum = s.sums[1];
        double dot = s.sums[2];
        if (maxima < 0 || !Float.isFinite((float) labelSum) || Double.isNaN(sumNonMax) || !Double.isFinite(dot)
                || (labelSum > 0 && labelSum < TINY_LABEL_SUM)) {
            return false;
        }
        double lambda = job.zLoss;
        double rest = sumNonMax + (maxima - 1);
        double logSum = VectorRows.logOnePlus(rest);
        double lse = m / t + logSum;
        double loss = w * (t * t * (labelSum * logSum - dot) + lambda * lse * lse);
        if (job.gradient) {
            double zc = 2 * lambda / t * lse;
            float c = (float) ((t * labelSum + zc) * w / (1 + rest));
            if (!Float.isFinite((float) (t * w * labelSum)) || !Float.isFinite(c)) {
                return false;
            }
            rowGradientInPlace(s.e, wy, wyi, job.gradV, gi, k, c, (float) (t * w));
        }
        job.rowLoss[row] = loss;
        return true;
    }

    /**
     * Pass 1 of a row read in place, and what pass 2 takes from the row besides: the row's
     * extremes ({@link #rowExtremes}); unless the labels are plain, the weighted labels into
     * {@code s.weighted} ({@code s.signBit} if a label has its sign bit set); and, for a finite
     * maximum {@code m}, the row's last {@code k mod L} logits and weighted labels into
     * {@code s.zEnd} and {@code s.yEnd}, padded as the staged rows are (logits {@code m}, labels
     * 0: exponential 1, excluded from the sum, not counted). One method, too large for C2 to
     * inline into {@link #inPlaceRow}: inlined there, C2 ran out of nodes and left vector
     * operations as calls, which allocate.
     */
    private static long rowStartInPlace(VectorJob job, int zi, int yi, RowScratch s) {
        int k = job.k;
        long extremes = rowExtremesInPlace(job.zV, zi, k);
        float m = maxOf(extremes);
        s.signBit = !job.plainLabels && !weightedLabelsInPlace(job.yV, yi, job.aF, job.bF, s.weightedView, k);
        if (!Float.isFinite(m) || s.signBit) {
            return extremes;
        }
        ByteBuffer wy = job.plainLabels ? job.yB : s.weighted;
        int wyi = job.plainLabels ? yi : 0;
        int full = k - k % L;
        for (int j = 0; j < L; j++) {
            boolean inRow = full + j < k;
            s.zEnd.putFloat(4 * j, inRow ? job.zB.getFloat(zi + 4 * (full + j)) : m);
            s.yEnd.putFloat(4 * j, inRow ? wy.getFloat(wyi + 4 * (full + j)) : 0f);
        }
        return extremes;
    }

    /** {@link #rowExtremes} of a row of {@code k >= L} floats at byte {@code zi} of {@code z}. */
    private static long rowExtremesInPlace(Object z, int zi, int k) {
        IntVector max0 = IntVector.broadcast(SPI, Integer.MIN_VALUE);
        IntVector max1 = max0;
        IntVector min0 = IntVector.broadcast(SPI, Integer.MAX_VALUE);
        IntVector min1 = min0;
        int full = k - k % L;
        int i = 0;
        for (; i + 2 * L <= full; i += 2 * L) {
            IntVector b0 = orderedBits(load(z, zi + 4 * i));
            IntVector b1 = orderedBits(load(z, zi + 4 * (i + L)));
            max0 = max0.max(b0);
            max1 = max1.max(b1);
            min0 = min0.min(b0);
            min1 = min1.min(b1);
        }
        // a vector left over from the pairs (or, without one, the last pair's second again) and the
        // vector ending at the row's end: lanes seen before count again, harmlessly, and there
        // are no branches (C2 boxes vectors merged from two branches)
        IntVector b0 = orderedBits(load(z, zi + 4 * Math.min(i, k - L)));
        IntVector b1 = orderedBits(load(z, zi + 4 * (k - L)));
        max0 = max0.max(b0);
        min0 = min0.min(b0);
        max1 = max1.max(b1);
        min1 = min1.min(b1);
        int max = max0.max(max1).reduceLanes(VectorOperators.MAX);
        int min = min0.min(min1).reduceLanes(VectorOperators.MIN);
        return ((long) max << 32) | (min & 0xffffffffL);
    }

    /**
     * {@code wy = y a + b} of a row of {@code k >= L} labels at byte {@code yi} of {@code y}, into
     * {@code wy} from byte 0; false if a label has its sign bit set.
     */
    private static boolean weightedLabelsInPlace(Object y, int yi, float[] a, float[] b, Object wy, int k) {
        IntVector signs = IntVector.zero(SPI);
        int full = k - k % L;
        for (int i = 0; i < full; i += L) {
            FloatVector yv = load(y, yi + 4 * i);
            signs = signs.or((IntVector) yv.reinterpretShape(SPI, 0));
            store(yv.fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i)), wy, 4 * i);
        }
        int i = k - L;                                     // overlapping lanes get the same values again
        FloatVector yv = load(y, yi + 4 * i);
        store(yv.fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i)), wy, 4 * i);
        return (signs.reduceLanes(VectorOperators.OR) | ((IntVector) yv.reinterpretShape(SPI, 0))
                .reduceLanes(VectorOperators.OR)) >= 0;
    }

    /**
     * Pass 2 of {@link #rowSums} on a row of {@code k >= L} logits at byte {@code zi} of {@code z}
     * and its weighted labels at byte {@code wyi} of {@code wy}: writes the exponentials to
     * {@code e[0, k)} and {@code sums} the sum of the non-maximal {@code e}, {@code S} and
     * {@code sum w y' u}, summed as there (lanes over blocks of {@value #BLOCK} elements, the
     * blocks in float64), the row's last {@code k mod L} elements from {@code zEnd} and
     * {@code yEnd}, padded as the staged rows are: the same sums, in the same order, as
     * {@link #rowSums} of the staged row.
     *
     * @param sums  at least {@code 4 + 3 L / 2} elements; from index 4, scratch
     * @param lanes scratch of at least {@code 3 L} elements
     * @return the number of entries equal to the maximum, or -1 if a label has its sign bit set
     */
    private static int rowSumsInPlace(Object z, int zi, Object wy, int wyi, Object zEnd, Object yEnd,
                                      float[] e, int k, float m, float invT, boolean narrow, double[] sums,
                                      float[] lanes) {
        double sumNonMax = 0;
        double labelSum = 0;
        double dot = 0;
        int signs = 0;
        int maxima = 0;
        int vectors = (k + L - 1) / L;
        int inRow = k / L;                                 // vectors read from the row itself
        int v = 0;
        while (v < vectors) {
            int end = Math.min(vectors, v + BLOCK / L);
            FloatVector ve = FloatVector.zero(SP);
            FloatVector vs = FloatVector.zero(SP);
            FloatVector vd = FloatVector.zero(SP);
            IntVector vn = IntVector.zero(SPI);
            for (; v < end; v++) {
                // the last vector from the padded copy of the row's end: a choice of buffer and
                // index, not a second copy of the loop (C2 ran out of nodes with one)
                boolean row = v < inRow;
                FloatVector u = load(row ? z : zEnd, row ? zi + 4 * L * v : 0)
                        .sub(m).mul(invT);
                FloatVector ev = narrow ? expNarrow(u) : expUpToMax(u);
                ev.intoArray(e, L * v);
                VectorMask<Float> top = u.compare(VectorOperators.EQ, 0f);
                maxima += top.trueCount();
                ve = ve.add(ev.blend(0f, top));
                FloatVector yv = load(row ? wy : yEnd, row ? wyi + 4 * L * v : 0);
                vn = vn.or((IntVector) yv.reinterpretShape(SPI, 0));
                vs = vs.add(yv);
                vd = yv.fma(u, vd);
            }
            if (WIDE) {
                // as in rowSums, written out here for the same reason
                ((DoubleVector) ve.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) ve.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4);
                ((DoubleVector) vs.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) vs.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4 + L / 2);
                ((DoubleVector) vd.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) vd.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4 + L);
                double e0 = 0;
                double e1 = 0;
                double s0 = 0;
                double s1 = 0;
                double d0 = 0;
                double d1 = 0;
                for (int j = 4; j < 4 + L / 2; j += 2) {
                    e0 += sums[j];
                    e1 += sums[j + 1];
                    s0 += sums[j + L / 2];
                    s1 += sums[j + L / 2 + 1];
                    d0 += sums[j + L];
                    d1 += sums[j + L + 1];
                }
                sumNonMax += e0 + e1;
                labelSum += s0 + s1;
                dot += d0 + d1;
            } else {
                ve.intoArray(lanes, 0);
                vs.intoArray(lanes, L);
                vd.intoArray(lanes, 2 * L);
                for (int j = 0; j < L; j++) {
                    sumNonMax += lanes[j];
                    labelSum += lanes[L + j];
                    dot += lanes[2 * L + j];
                }
            }
            signs |= vn.reduceLanes(VectorOperators.OR);
        }
        sums[0] = sumNonMax;
        sums[1] = labelSum;
        sums[2] = dot;
        return signs < 0 ? -1 : maxima - (vectors * L - k);
    }

    /** Pass 3 in place: {@code g = e c - tw w y'} into a row of {@code k >= L} floats at byte {@code gi} of {@code g}. */
    private static void rowGradientInPlace(float[] e, Object wy, int wyi, Object g, int gi, int k, float c,
                                           float tw) {
        FloatVector cv = FloatVector.broadcast(SP, c);
        int full = k - k % L;
        for (int i = 0; i < full; i += L) {
            store(FloatVector.fromArray(SP, e, i).fma(cv, load(wy, wyi + 4 * i).mul(-tw)), g, gi + 4 * i);
        }
        int i = k - L;                                     // overlapping lanes get the same values again
        store(FloatVector.fromArray(SP, e, i).fma(cv, load(wy, wyi + 4 * i).mul(-tw)), g, gi + 4 * i);
    }

    /** {@code +0.0} into a row of {@code k >= L} floats at byte {@code gi} of {@code g}. */
    private static void zeroRowInPlace(Object g, int gi, int k) {
        FloatVector zero = FloatVector.zero(SP);
        for (int i = 0; i < k - L; i += L) {
            store(zero, g, gi + 4 * i);
        }
        store(zero, g, gi + 4 * (k - L));
    }

    /**
     * Rows of at most this many classes run {@code L} at a time, one row per lane: 16 at 512 bits,
     * 12 at 256 (measured: from there on, whole vectors per row cost as little).
     */
    private static final int COLUMN_MAX_K = Math.min(16, 3 * L / 2);
    private static final ThreadLocal<ColumnScratch> COLUMNS = new ThreadLocal<>();

    private static ColumnScratch columnScratch() {
        ColumnScratch c = COLUMNS.get();
        if (c == null) {
            c = new ColumnScratch(L, COLUMN_MAX_K);
            COLUMNS.set(c);
        }
        return c;
    }

    /**
     * The {@code L} rows from {@code r0} with one row per lane, for rows too short for whole
     * vectors to pay: per row, the row path spends most of its time in reductions across lanes
     * (maximum, minimum, sums), which here are lane-wise operations over the classes. The same
     * math as {@link #rowByRow}: the same {@code u}, exponentials and gradient expression; the
     * sums are taken in float64 lanes in class order. Masked rows (weight 0) are copied as zeros
     * and give loss 0 and gradient 0, as there.
     *
     * @return false, with the block's results partly written, if a row needs anything but the
     *         common case (an invalid value, a {@code -inf} logit under a zero label, tiny label
     *         sums, a sign bit in a label, scalars beyond float32's range): {@link #rowByRow} then
     *         redoes the block
     */
    private static boolean columnBlock(VectorJob job, int r0, ColumnScratch c) {
        // in phases that pass arrays, not vectors: as one method it exceeds what C2 inlines, and
        // the vector operations left as calls allocate every result
        int k = job.k;
        columnStage(job, r0, c);
        if (!columnSums(c, k, job.temperature, job.plainLabels, job.aF, job.bF)) {
            return false;                                  // an invalid value, or a label's sign bit
        }
        if (!columnLosses(job, r0, c)) {
            return false;
        }
        if (job.gradient) {
            columnGradient(c, k, job.plainLabels, job.aF, job.bF);
            float[] raw = c.raw;
            float[] et = c.e;
            for (int j = 0; j < L; j++) {
                for (int i = 0; i < k; i++) {
                    raw[j * k + i] = et[i * L + j];
                }
            }
            job.gradF.put(job.gradOff + r0 * k, raw, 0, L * k);
        }
        return true;
    }

    /** Class-major copies of the block's logits and labels; masked rows as zeros. */
    private static void columnStage(VectorJob job, int r0, ColumnScratch c) {
        // element by element: gathers (fromArray with an index map) were no faster on JDK 17, and
        // on JDK 25 C2 sometimes left them as calls that allocate
        int k = job.k;
        float[] raw = c.raw;
        float[] zt = c.z;
        float[] yt = c.y;
        double[] rowWeight = job.rowWeight;
        job.zF.get(job.zOff + r0 * k, raw, 0, L * k);
        for (int j = 0; j < L; j++) {
            boolean masked = rowWeight != null && rowWeight[r0 + j] == 0;
            for (int i = 0; i < k; i++) {
                zt[i * L + j] = masked ? 0f : raw[j * k + i];
            }
        }
        if (job.classIds == null) {
            job.yF.get(job.yOff + r0 * k, raw, 0, L * k);
            for (int j = 0; j < L; j++) {
                boolean masked = rowWeight != null && rowWeight[r0 + j] == 0;
                for (int i = 0; i < k; i++) {
                    yt[i * L + j] = masked ? 0f : raw[j * k + i];
                }
            }
        } else {
            Arrays.fill(yt, 0, k * L, 0f);
            for (int j = 0; j < L; j++) {
                if (rowWeight[r0 + j] != 0) {              // a masked row's id may be anything
                    yt[job.classIds[r0 + j] * L + j] = 1f;
                }
            }
        }
    }

    /**
     * Passes 1 and 2 of a block: per row the maximum and minimum, then {@code e} (kept for pass
     * 3), and per row the sum of the non-maximal {@code e}, the count of maxima, {@code S} and
     * {@code sum w y' u}, in float64 lanes in class order; false if a row's maximum is not finite
     * (NaN, {@code +inf}, a row all {@code -inf}) or a label has its sign bit set.
     *
     * <p>One method, too large for C2 to inline into its caller, so that it is compiled on its
     * own: inlined with the rest of the block, C2 sometimes left vector operations as calls,
     * which allocate every result. The maximum is the float maximum here (NaN propagates, and
     * {@code -0.0} is below {@code +0.0}, as with the row code's ordered bits): with no
     * reduction across lanes it costs no more.
     */
    private static boolean columnSums(ColumnScratch c, int k, double t, boolean plain, float[] a, float[] b) {
        float[] zt = c.z;
        float[] yt = c.y;
        float[] et = c.e;
        FloatVector m = FloatVector.fromArray(SP, zt, 0);
        FloatVector lo = m;
        for (int i = 1; i < k; i++) {
            FloatVector zv = FloatVector.fromArray(SP, zt, i * L);
            m = m.max(zv);
            lo = lo.min(zv);
        }
        if (!m.test(VectorOperators.IS_FINITE).allTrue()) {
            return false;
        }
        m.intoArray(c.max, 0);
        lo.intoArray(c.min, 0);
        boolean narrow = true;
        for (int j = 0; j < L; j++) {
            narrow &= narrowRange(c.max[j], c.min[j], t);
        }
        float invT = (float) (1.0 / t);
        DoubleVector e0 = DoubleVector.zero(SPD);
        DoubleVector e1 = e0;
        DoubleVector s0 = e0;
        DoubleVector s1 = e0;
        DoubleVector d0 = e0;
        DoubleVector d1 = e0;
        IntVector maxima = IntVector.zero(SPI);
        IntVector signs = maxima;
        for (int i = 0; i < k; i++) {
            FloatVector u = FloatVector.fromArray(SP, zt, i * L).sub(m).mul(invT);
            FloatVector e = narrow ? expNarrow(u) : expUpToMax(u);
            e.intoArray(et, i * L);
            VectorMask<Float> top = u.compare(VectorOperators.EQ, 0f);
            maxima = maxima.add(1, top.cast(SPI));
            FloatVector nonMax = e.blend(0f, top);
            e0 = e0.add((DoubleVector) nonMax.convertShape(VectorOperators.F2D, SPD, 0));
            e1 = e1.add((DoubleVector) nonMax.convertShape(VectorOperators.F2D, SPD, 1));
            FloatVector yv = FloatVector.fromArray(SP, yt, i * L);
            signs = signs.or((IntVector) yv.reinterpretShape(SPI, 0));
            FloatVector wy = plain ? yv : yv.fma(a[i], b[i]);
            s0 = s0.add((DoubleVector) wy.convertShape(VectorOperators.F2D, SPD, 0));
            s1 = s1.add((DoubleVector) wy.convertShape(VectorOperators.F2D, SPD, 1));
            FloatVector p = wy.mul(u);
            d0 = d0.add((DoubleVector) p.convertShape(VectorOperators.F2D, SPD, 0));
            d1 = d1.add((DoubleVector) p.convertShape(VectorOperators.F2D, SPD, 1));
        }
        e0.intoArray(c.sumNonMax, 0);
        e1.intoArray(c.sumNonMax, L / 2);
        s0.intoArray(c.labelSum, 0);
        s1.intoArray(c.labelSum, L / 2);
        d0.intoArray(c.dot, 0);
        d1.intoArray(c.dot, L / 2);
        maxima.intoArray(c.maxima, 0);
        return !signs.compare(VectorOperators.LT, 0).anyTrue();
    }

    /**
     * The block's losses, and the factors of pass 3, as in {@link #rowByRow}; false if a row
     * needs one of its special cases.
     */
    private static boolean columnLosses(VectorJob job, int r0, ColumnScratch c) {
        double[] rowWeight = job.rowWeight;
        double t = job.temperature;
        double lambda = job.zLoss;
        for (int j = 0; j < L; j++) {
            int row = r0 + j;
            double w = rowWeight == null ? 1 : rowWeight[row];
            if (w == 0) {
                job.rowLoss[row] = 0;
                c.c[j] = 0f;                               // gradient e * 0 + w y' * -0 = +0
                c.minusTw[j] = -0f;
                continue;
            }
            double sumNonMax = c.sumNonMax[j];
            double labelSum = c.labelSum[j];
            double dot = c.dot[j];
            if (!Float.isFinite((float) labelSum) || Double.isNaN(sumNonMax) || !Double.isFinite(dot)
                    || (labelSum > 0 && labelSum < TINY_LABEL_SUM)) {
                return false;
            }
            double rest = sumNonMax + (c.maxima[j] - 1);
            double logSum = VectorRows.logOnePlus(rest);
            double lse = c.max[j] / t + logSum;
            job.rowLoss[row] = w * (t * t * (labelSum * logSum - dot) + lambda * lse * lse);
            if (job.gradient) {
                double zc = 2 * lambda / t * lse;
                float cj = (float) ((t * labelSum + zc) * w / (1 + rest));
                if (!Float.isFinite((float) (t * w * labelSum)) || !Float.isFinite(cj)) {
                    return false;
                }
                c.c[j] = cj;
                c.minusTw[j] = -(float) (t * w);
            }
        }
        return true;
    }

    /** Pass 3 of a block: {@code g = e c - t w y'} over {@code e}, as {@link #rowGradientFused}. */
    private static void columnGradient(ColumnScratch c, int k, boolean plain, float[] a, float[] b) {
        float[] yt = c.y;
        float[] et = c.e;
        FloatVector cv = FloatVector.fromArray(SP, c.c, 0);
        FloatVector minusTw = FloatVector.fromArray(SP, c.minusTw, 0);
        for (int i = 0; i < k; i++) {
            FloatVector yv = FloatVector.fromArray(SP, yt, i * L);
            FloatVector wy = plain ? yv : yv.fma(a[i], b[i]);
            FloatVector.fromArray(SP, et, i * L).fma(cv, wy.mul(minusTw)).intoArray(et, i * L);
        }
    }

    @Override
    public boolean logSoftmax(Buffer xBuffer, int xOff, Buffer outBuffer, int outOff, int n, int k, boolean sumOnly) {
        FloatBuffer x = (FloatBuffer) xBuffer;
        FloatBuffer out = (FloatBuffer) outBuffer;
        int kp = (k + L - 1) / L * L;
        int rows = Math.max(1, Math.min(n, STAGE / kp));
        float[][] s = scratch(rows * kp + L);
        float[] z = s[0];
        float[] g = s[3];
        float[] lanes = s[6];
        float[] raw = s[4];
        float[] noLabels = zeros(rows * kp + L);
        double[] sums = new double[4 + 3 * L / 2];
        for (int r0 = 0; r0 < n; r0 += rows) {
            int nr = Math.min(rows, n - r0);
            stage(x, xOff + r0 * k, z, raw, nr, k, kp, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < nr; r++) {
                int o = r * kp;
                long extremes = rowExtremes(z, o, k, kp);
                float m = maxOf(extremes);
                if (!Float.isFinite(m)) {
                    if (m != Float.NEGATIVE_INFINITY || !allNegativeInfinity(z, o, k)) {
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
                int maxima = rowSums(z, noLabels, g, o, kp, m, 1f, narrowRange(m, minOf(extremes), 1), sums,
                        lanes) - (kp - k);
                if (Double.isNaN(sums[0])) {
                    return false;                          // a NaN that rowMax does not see
                }
                double rest = sums[0] + (maxima - 1);
                double logSum = VectorRows.logOnePlus(rest);
                if (sumOnly) {
                    out.put(outOff + r0 + r, (float) (m + logSum));
                } else {
                    // (z - m) - log sum exp(z - m): never m + logSum subtracted from z
                    float ls = (float) logSum;
                    for (int i = 0; i < kp; i += L) {
                        FloatVector.fromArray(SP, z, o + i).sub(m).sub(ls).intoArray(g, o + i);
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
    private static void stage(FloatBuffer from, int index, float[] to, float[] raw, int nr, int k, int kp, float pad) {
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
        VectorMask<Float> beyond = beyond(kp - L, k);
        for (int r = 0; r < nr; r++) {
            int i = 0;
            for (; i < kp - L; i += L) {
                FloatVector.fromArray(SP, raw, r * k + i).intoArray(to, r * kp + i);
            }
            FloatVector.fromArray(SP, raw, r * k + i).blend(pad, beyond).intoArray(to, r * kp + i);
        }
    }

    /** Copies {@code nr} rows {@code kp} apart into the buffer, {@code k} elements each. */
    private static void unstage(float[] from, float[] raw, FloatBuffer to, int index, int nr, int k, int kp) {
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
                FloatVector.fromArray(SP, from, r * kp + i).intoArray(raw, r * k + i);
            }
        }
        to.put(index, raw, 0, nr * k);
    }

    /** Sets the padding of a row ({@code o + k} to {@code o + kp}) to {@code m}: one blend of its last vector. */
    private static void padLastVector(float[] z, int o, int k, int kp, float m) {
        int last = o + kp - L;
        FloatVector.fromArray(SP, z, last).blend(m, beyond(kp - L, k)).intoArray(z, last);
    }

    /**
     * Pass 1: the row's maximum and minimum, as the keys of {@link #orderedBits} packed into one
     * long ({@link #maxOf}, {@link #minOf}); the maximum is NaN if the row holds a NaN with the
     * sign bit clear, and a NaN with the sign bit set is not seen here (pass 2's sum of
     * exponentials is NaN then). The minimum is over the row's {@code k} entries (not its
     * {@code -inf} padding), for the choice of exp in pass 2.
     *
     * <p>Taken over the bits as integers ordered like the floats: the same result as {@code max}
     * and {@code min} for every other value, -0.0 below +0.0 included, and a quarter of the cost
     * of a float {@code reduceLanes(MAX)}, which handles NaN lane by lane.
     */
    private static long rowExtremes(float[] z, int o, int k, int kp) {
        IntVector max0 = IntVector.broadcast(SPI, Integer.MIN_VALUE);
        IntVector max1 = max0;
        IntVector min0 = IntVector.broadcast(SPI, Integer.MAX_VALUE);
        IntVector min1 = min0;
        int last = kp - L;
        int i = 0;
        for (; i + L < last; i += 2 * L) {
            IntVector b0 = orderedBits(FloatVector.fromArray(SP, z, o + i));
            IntVector b1 = orderedBits(FloatVector.fromArray(SP, z, o + i + L));
            max0 = max0.max(b0);
            max1 = max1.max(b1);
            min0 = min0.min(b0);
            min1 = min1.min(b1);
        }
        if (i < last) {
            IntVector b0 = orderedBits(FloatVector.fromArray(SP, z, o + i));
            max0 = max0.max(b0);
            min0 = min0.min(b0);
        }
        IntVector b = orderedBits(FloatVector.fromArray(SP, z, o + last));
        max0 = max0.max(b);
        min0 = min0.min(b.blend(Integer.MAX_VALUE, IntVector.fromArray(SPI, LANE_INDEX_INT, 0)
                .compare(VectorOperators.GE, k - last)));
        int max = max0.max(max1).reduceLanes(VectorOperators.MAX);
        int min = min0.min(min1).reduceLanes(VectorOperators.MIN);
        return ((long) max << 32) | (min & 0xffffffffL);
    }

    /** The maximum of {@link #rowExtremes}. */
    private static float maxOf(long extremes) {
        int m = (int) (extremes >> 32);
        return Float.intBitsToFloat(m ^ ((m >> 31) & 0x7fffffff));
    }

    /** The minimum of {@link #rowExtremes}. */
    private static float minOf(long extremes) {
        int m = (int) extremes;
        return Float.intBitsToFloat(m ^ ((m >> 31) & 0x7fffffff));
    }

    /** The bits of {@code x} as ints in the order of the floats: negative values with all but the sign bit flipped. */
    private static IntVector orderedBits(FloatVector x) {
        IntVector b = (IntVector) x.reinterpretShape(SPI, 0);
        return b.lanewise(VectorOperators.ASHR, 31).and(0x7fffffff).lanewise(VectorOperators.XOR, b);
    }

    /**
     * Pass 2, with {@code wy} the weighted smoothed labels {@code w y'}: writes
     * {@code e = exp((z - m) * invT)} to {@code g}; {@code sums} receives the sum
     * of the non-maximal {@code e}, {@code S = sum w y'}, {@code sum w y' (z - m) * invT} and -1
     * if a label is negative (else 0). Returns the number of entries equal to the maximum.
     *
     * <p>Each block's lane sums are added in float64 in a fixed order (from 256 bits: lanes
     * {@code j} and {@code j + L/2} first, then those sums in two alternating chains, three times
     * faster than lane by lane, which matters for short rows): {@code reduceLanes(ADD)} leaves the order open, and the JIT's and the interpreter's orders
     * differ on some JDKs (25), which would make the same call give different last bits before
     * and after compilation. Every vector accumulator lives within one block: a vector or mask
     * carried across the block loop is boxed on every iteration by C2 (JDK 17), which allocates
     * and slows the loop by half. A negative label sets a sign bit in the OR of the labels' bits;
     * only then is the row searched for one ({@code -0.0} sets it too; NaN labels make {@code S}
     * NaN and are found there).
     *
     * @param sums  at least {@code 4 + 3 L / 2} elements; from index 4, scratch
     * @param lanes scratch of at least {@code 3 L} elements
     */
    private static int rowSums(float[] z, float[] wy, float[] g, int o, int kp, float m,
                               float invT, boolean narrow, double[] sums, float[] lanes) {
        double sumNonMax = 0;
        double labelSum = 0;
        double dot = 0;
        int signs = 0;
        int maxima = 0;
        int i = 0;
        while (i < kp) {
            int end = Math.min(kp, i + BLOCK);
            FloatVector ve = FloatVector.zero(SP);
            FloatVector vs = FloatVector.zero(SP);
            FloatVector vd = FloatVector.zero(SP);
            IntVector vn = IntVector.zero(SPI);
            for (; i < end; i += L) {
                FloatVector u = FloatVector.fromArray(SP, z, o + i).sub(m).mul(invT);
                // the same bits either way (see narrowRange); the branch is the same for the whole loop
                FloatVector e = narrow ? expNarrow(u) : expUpToMax(u);
                e.intoArray(g, o + i);
                VectorMask<Float> top = u.compare(VectorOperators.EQ, 0f);
                maxima += top.trueCount();
                ve = ve.add(e.blend(0f, top));
                FloatVector yv = FloatVector.fromArray(SP, wy, o + i);
                vn = vn.or((IntVector) yv.reinterpretShape(SPI, 0));
                vs = vs.add(yv);
                vd = yv.fma(u, vd);
            }
            if (WIDE) {
                // lanes j and j + L/2 added in float64 vector lanes, then those sums in two
                // alternating chains; written out here: as a method taking the vector, the same
                // code made rows of 16 and of 1,000 classes 1.4 to 1.6 times slower (JDK 17)
                ((DoubleVector) ve.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) ve.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4);
                ((DoubleVector) vs.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) vs.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4 + L / 2);
                ((DoubleVector) vd.convertShape(VectorOperators.F2D, SPD, 0))
                        .add((DoubleVector) vd.convertShape(VectorOperators.F2D, SPD, 1)).intoArray(sums, 4 + L);
                double e0 = 0;
                double e1 = 0;
                double s0 = 0;
                double s1 = 0;
                double d0 = 0;
                double d1 = 0;
                for (int j = 4; j < 4 + L / 2; j += 2) {
                    e0 += sums[j];
                    e1 += sums[j + 1];
                    s0 += sums[j + L / 2];
                    s1 += sums[j + L / 2 + 1];
                    d0 += sums[j + L];
                    d1 += sums[j + L + 1];
                }
                sumNonMax += e0 + e1;
                labelSum += s0 + s1;
                dot += d0 + d1;
            } else {
                // 4 lanes: one by one, in lane order (where the conversion to float64 lanes is
                // not compiled to SIMD instructions, as on x86 without AVX, it costs far more)
                ve.intoArray(lanes, 0);
                vs.intoArray(lanes, L);
                vd.intoArray(lanes, 2 * L);
                for (int j = 0; j < L; j++) {
                    sumNonMax += lanes[j];
                    labelSum += lanes[L + j];
                    dot += lanes[2 * L + j];
                }
            }
            signs |= vn.reduceLanes(VectorOperators.OR);
        }
        sums[0] = sumNonMax;
        sums[1] = labelSum;
        sums[2] = dot;
        sums[3] = signs < 0 && hasNegative(wy, o, kp) ? -1 : 0;
        return maxima;
    }

    /** Whether {@code z[o, o + k)} is all {@code -inf} (a NaN with the sign bit set is not seen by {@link #rowMax}). */
    private static boolean allNegativeInfinity(float[] z, int o, int k) {
        for (int i = o; i < o + k; i++) {
            if (z[i] != Float.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }

    /** Whether an element of {@code y[o, o + kp)} is below zero. */
    private static boolean hasNegative(float[] y, int o, int kp) {
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
    private static double dotInDouble(float[] z, float[] y, float[] a, float[] b, int o, int k, float m, double t) {
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
    private static double labelSumInDouble(float[] y, float[] a, float[] b, int o, int k) {
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += Math.fma((double) y[o + i], a[i], b[i]);
        }
        return s;
    }

    /** Pass 3: {@code g = e * c - tw * w y'}, in place over e. */
    private static void rowGradientFused(float[] wy, float[] g, int o, int kp, float c, float tw) {
        for (int i = 0; i < kp; i += L) {
            FloatVector.fromArray(SP, g, o + i).fma(FloatVector.broadcast(SP, c), FloatVector.fromArray(SP, wy, o + i).mul(-tw))
                    .intoArray(g, o + i);
        }
    }

    /** {@code wy = y a + b} (the weighted smoothed labels) of a row; true if a label is negative. */
    private static boolean weightedLabels(float[] y, float[] a, float[] b, float[] wy, int o, int kp) {
        IntVector signs = IntVector.zero(SPI);
        for (int i = 0; i < kp; i += L) {
            FloatVector yv = FloatVector.fromArray(SP, y, o + i);
            signs = signs.or((IntVector) yv.reinterpretShape(SPI, 0));
            yv.fma(FloatVector.fromArray(SP, a, i), FloatVector.fromArray(SP, b, i)).intoArray(wy, o + i);
        }
        // a sign bit is set by negative labels, -0.0 and some NaNs (those make S NaN, found there)
        return signs.reduceLanes(VectorOperators.OR) < 0 && hasNegative(y, o, kp);
    }

    /** Pass 3: {@code g = tw * (p * S - w y') + zcw * p} with {@code p = e * invSum}, in place over e. */
    private static void rowGradient(float[] wy, float[] g, int o, int kp, float invSum, float s,
                                    float tw, float zcw) {
        for (int i = 0; i < kp; i += L) {
            FloatVector p = FloatVector.fromArray(SP, g, o + i).mul(invSum);
            p.mul(s).sub(FloatVector.fromArray(SP, wy, o + i)).fma(p.broadcast(tw), p.mul(zcw)).intoArray(g, o + i);
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
     * Rare enough to be scalar.
     *
     * @return the number of available classes, or -1 for an invalid mask or a negative label
     */
    private static int stageAvailable(float[] z, float[] y, float[] av, int o, int k, float[] a, float[] smooth,
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
