package io.github.xent4j;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import jdk.incubator.vector.FloatVector;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused CPU kernel, written with the Java Vector API ({@code jdk.incubator.vector}): the
 * cross-entropy of {@link XentKernel#compute} in three passes over each row (row maximum;
 * exponentials and sums; gradient), reading and writing ND4J's off-heap buffers and allocating
 * only its results (inside the caller's workspace, if any).
 *
 * <p>It runs only on ND4J's CPU backend, in a JVM started with
 * {@code --add-modules jdk.incubator.vector} (Java 17 or later). The vector width is the CPU's
 * preferred one (512 bits with AVX-512, 256 with AVX2, 128 with NEON), or the system property
 * {@code xent4j.vector.bits} ({@code 128}, {@code 256} or {@code 512}, at most the preferred
 * width), read once.
 *
 * <h2>Numerics</h2>
 * Per row, in the compute type (float32; float64 for float64 inputs; half types are converted to
 * float32 and back): {@code u_k = (z_k - m) / t} with the row maximum {@code m},
 * {@code e_k = exp(u_k)} with a polynomial written with the Vector API (the same on every CPU), and, summed
 * in lanes over blocks of 256 elements and the blocks in float64: {@code r = sum of e_k} over
 * the entries below the maximum, the count {@code c} of maxima, {@code S = sum w_k y'_k} and
 * {@code D = sum w_k y'_k u_k}. Then in float64: {@code log sum exp = log1p(r + c - 1)},
 * {@code LSE = m / t + log sum exp}, {@code loss = t^2 (S log sum exp - D) + lambda LSE^2} (both
 * terms non-negative) and the gradient {@code t (p_k S - w_k y'_k) + (2 lambda / t) LSE p_k} with
 * {@code p_k = e_k / (1 + r + c - 1)}, the row scalars rounded once to the compute type.
 *
 * <h2>Validation</h2>
 * NaN and {@code +inf} logits and all {@code -inf} rows make the row maximum non-finite (a NaN
 * with the sign bit set, in float32, the sum of exponentials), negative labels set a sign bit in
 * the OR of the labels' bits (then the row is searched for one), NaN or infinite labels make the
 * label sum non-finite, bad class ids and mask values fail while they are read: only then does
 * {@link InputChecks#diagnoseValues} search the inputs for the message. Masked rows and {@code ignoreIndex} rows are never read.
 *
 * <h2>Threads</h2>
 * Inputs of at least {@value #PARALLEL_MIN_ELEMENTS} elements are split by rows over
 * {@code Nd4j.getEnvironment().maxMasterThreads()} tasks of the common fork-join pool, the calling
 * thread running one of them, at multiples of {@link VectorRows#rowGroup}; the rows' results do
 * not depend on the split.
 *
 * <h2>Memory access</h2>
 * Rows are staged through thread-local arrays a block at a time, except float32 rows of at least
 * 64 classes with soft labels and no per-output mask, which are read and written in place with
 * vector loads and stores on ND4J's buffers where the JDK allows it (JDK 17 and 18 through byte
 * buffers, JDK 22 and later through memory segments), with the same results bit for bit.
 *
 * <p>Inputs that are not dense c-order arrays are copied once ({@code dup('c')}). Log-softmax and
 * log-sum-exp along the last dimension use the same row passes (on the calling thread); along
 * other dimensions, their backward passes and the gradient with respect to the labels run on
 * {@link Nd4jKernelPath}.
 */
final class VectorKernelPath implements KernelPath {
    /** The width override, read once. */
    private static final String BITS_PROPERTY = "xent4j.vector.bits";
    private static final String BITS_VALUE = System.getProperty(BITS_PROPERTY);
    /** Below this many elements one thread does the work (splitting costs more than it saves). */
    static final long PARALLEL_MIN_ELEMENTS = 1L << 15;

    private final String name;
    private final VectorRows rowsF;
    private final VectorRows rowsD;
    /** Fixed thread count, or 0 for ND4J's {@code maxMasterThreads()} at each call. */
    private final int threads;
    private final long parallelMinElements;
    /** Whether rows of few classes may run several at a time, one per lane (off only in tests). */
    private final boolean columnRows;
    /** Whether rows of many classes may be read and written in place (off only in tests). */
    private final boolean inPlaceRows;

    private VectorKernelPath(String name, int bits, int threads, long parallelMinElements) {
        this(name, bits, threads, parallelMinElements, true, true);
    }

    private VectorKernelPath(String name, int bits, int threads, long parallelMinElements, boolean columnRows,
                             boolean inPlaceRows) {
        this.name = name;
        this.rowsF = define("VectorRowsF", bits);
        this.rowsD = define("VectorRowsD", bits);
        this.threads = threads;
        this.parallelMinElements = parallelMinElements;
        this.columnRows = columnRows;
        this.inPlaceRows = inPlaceRows;
    }

    /**
     * The path at the preferred (or configured) width. Called reflectively by {@link KernelPaths}.
     *
     * @throws IllegalStateException saying why it cannot run here
     * @throws IllegalArgumentException if {@code xent4j.vector.bits} is not 128, 256 or 512
     */
    public static KernelPath create() {
        return new VectorKernelPath("vector", checkedBits(), 0, PARALLEL_MIN_ELEMENTS);
    }

    /**
     * The path at the preferred (or configured) width, named {@code vector}, then at each narrower
     * width down to 128 bits, named {@code vector-256} and {@code vector-128}: tests run every
     * summation order a CPU of another width would use.
     */
    public static List<KernelPath> createAll() {
        int bits = checkedBits();
        List<KernelPath> paths = new ArrayList<>();
        paths.add(new VectorKernelPath("vector", bits, 0, PARALLEL_MIN_ELEMENTS));
        for (int b = bits / 2; b >= 128; b /= 2) {
            paths.add(new VectorKernelPath("vector-" + b, b, 0, PARALLEL_MIN_ELEMENTS));
        }
        return Collections.unmodifiableList(paths);
    }

    /**
     * A path with a fixed width and thread count, for tests and benchmarks.
     *
     * @param bits                128, 256 or 512, at most the preferred width
     * @param threads             tasks per call (1: the calling thread only)
     * @param parallelMinElements inputs smaller than this run on the calling thread
     */
    public static KernelPath create(int bits, int threads, long parallelMinElements) {
        checkFixed(bits, threads);
        return new VectorKernelPath("vector-" + bits + "-t" + threads, bits, threads, parallelMinElements);
    }

    /**
     * {@link #create(int, int, long)} whose rows always run one by one, never several at a time
     * in lanes: for tests that compare the two layouts.
     */
    public static KernelPath createRowByRow(int bits, int threads, long parallelMinElements) {
        checkFixed(bits, threads);
        return new VectorKernelPath("vector-" + bits + "-t" + threads + "-rows", bits, threads, parallelMinElements,
                false, true);
    }

    /**
     * {@link #create(int, int, long)} whose rows are always staged, never read and written in
     * place: for tests that compare the two.
     */
    public static KernelPath createStaged(int bits, int threads, long parallelMinElements) {
        checkFixed(bits, threads);
        return new VectorKernelPath("vector-" + bits + "-t" + threads + "-staged", bits, threads, parallelMinElements,
                true, false);
    }

    /**
     * The fewest classes of the float32 rows that the path reads and writes in place, or
     * {@code Integer.MAX_VALUE} where it stages every row; for tests.
     */
    static int inPlaceMinClasses(KernelPath path) {
        VectorKernelPath p = (VectorKernelPath) path;
        return p.inPlaceRows ? p.rowsF.inPlaceMinClasses() : Integer.MAX_VALUE;
    }

    /** The checks of {@link #create(int, int, long)}. */
    private static void checkFixed(int bits, int threads) {
        checkRuntime();
        checkBits(bits, String.valueOf(bits));
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    private static int checkedBits() {
        checkRuntime();
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (BITS_VALUE == null) {
            if (preferred < 128) {
                throw new IllegalStateException("the CPU's preferred vector width is " + preferred
                        + " bits; the fused kernel needs at least 128");
            }
            return Math.min(preferred, 512);
        }
        int bits;
        try {
            bits = Integer.parseInt(BITS_VALUE.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        checkBits(bits, BITS_VALUE);
        return bits;
    }

    private static void checkBits(int bits, String text) {
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException(BITS_PROPERTY + " must be 128, 256 or 512, got '" + text + "'");
        }
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits > preferred) {
            throw new IllegalStateException(BITS_PROPERTY + "=" + bits + " is wider than this CPU's preferred vector width ("
                    + preferred + " bits); the JDK would emulate it");
        }
    }

    private static void checkRuntime() {
        if (!Nd4j.getEnvironment().isCPU()) {
            throw new IllegalStateException("ND4J's backend is " + Nd4j.getBackend().getClass().getName()
                    + ", not the CPU backend (nd4j-native): the fused kernel reads host memory");
        }
    }

    /** Defines the row kernel class once more as a hidden class whose class data is the width. */
    private static VectorRows define(String simpleName, int bits) {
        try (InputStream in = VectorKernelPath.class.getResourceAsStream(simpleName + ".class")) {
            if (in == null) {
                throw new IllegalStateException(simpleName + ".class is not on the class path next to "
                        + VectorKernelPath.class.getName());
            }
            MethodHandles.Lookup lookup = MethodHandles.lookup()
                    .defineHiddenClassWithClassData(in.readAllBytes(), bits, true);
            return (VectorRows) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (IOException e) {
            throw new IllegalStateException("reading " + simpleName + ".class failed", e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("defining " + simpleName + " failed", e);
        }
    }

    /**
     * How many rows the path runs at a time (1: row by row) for a batch of {@code k} classes in
     * the compute type {@code dbl ? float64 : float32}, without a per-output mask; for tests.
     */
    static int rowGroup(KernelPath path, boolean dbl, int k) {
        VectorKernelPath p = (VectorKernelPath) path;
        VectorJob job = new VectorJob();
        job.k = k;
        job.columnRows = p.columnRows;
        return (dbl ? p.rowsD : p.rowsF).rowGroup(job);
    }

    /** {@code out[i] = exp(x[i])} with the kernel's exp at the path's width ({@code jdk}: {@code lanewise(EXP)}); for tests. */
    static void exp(KernelPath path, float[] x, float[] out, boolean jdk) {
        ((VectorKernelPath) path).rowsF.exp(x, out, jdk);
    }

    /** {@code out[i] = exp(x[i])} with the exp of narrow rows ({@code x[i]} in {@code [-86, 0]}) at the path's width; for tests. */
    static void expNarrow(KernelPath path, float[] x, float[] out) {
        ((VectorKernelPath) path).rowsF.expNarrow(x, out);
    }

    /** As {@link #exp(KernelPath, float[], float[], boolean)} in float64. */
    static void exp(KernelPath path, double[] x, double[] out, boolean jdk) {
        ((VectorKernelPath) path).rowsD.exp(x, out, jdk);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "Vector API, " + rowsF.bitSize() + "-bit vectors (" + rowsF.lanes() + " float lanes)";
    }

    // ------------------------------------------------------------------------------------------

    @Override
    public XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                     XentKernel.Output output) {
        return fused(logits, labels, mask, options, output, null);
    }

    @Override
    public XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                     XentKernel.Output output, INDArray gradientOut) {
        DataType t = logits.dataType();
        // the half types are computed in float32: their gradient is converted into gradientOut
        return t == DataType.FLOAT || t == DataType.DOUBLE
                ? fused(logits, labels, mask, options, output, gradientOut)
                : KernelPath.super.compute(logits, labels, mask, options, output, gradientOut);
    }

    /**
     * The fused kernel; the gradient is written into {@code gradientOut} when it is not null
     * (float32 or float64 logits only), also by the ND4J path for the cases handed to it.
     */
    private XentKernel.Result fused(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                    XentKernel.Output output, INDArray gradientOut) {
        if (options == null || output == null) {
            return nd4j(logits, labels, mask, options, output, gradientOut);
        }
        if (logits != null && logits.rank() == 2 && logits.size(0) == 0 && logits.size(1) >= 1
                && logits.dataType().isFPType()) {
            XentKernel.Result r = empty(logits, labels, mask, options, output);
            return gradientOut == null ? r : new XentKernel.Result(r.loss(), gradientOut, r.lossSum());
        }
        InputChecks.checkLogits(logits);
        int n = (int) logits.size(0);
        int k = (int) logits.size(1);
        boolean classIds = InputChecks.checkLabels(labels, n, k);
        int maskKind = InputChecks.checkMask(mask, n, k, classIds);
        ShapeRules.checkClassWeights(options, k);
        if ((long) n * k > Integer.MAX_VALUE - 1024) {
            // nio buffers are indexed by int
            return nd4j(logits, labels, mask, options, output, gradientOut);
        }

        DataType inType = logits.dataType();
        DataType ct = XentKernel.computeType(inType);
        boolean dbl = ct == DataType.DOUBLE;
        VectorJob job = new VectorJob();
        job.n = n;
        job.k = k;
        job.temperature = options.temperature();
        job.zLoss = options.zLoss();
        job.labelSmoothing = options.labelSmoothing();
        job.gradient = output.gradient;
        job.columnRows = columnRows;
        job.rowLoss = new double[n];

        INDArray z = dense(logits.castTo(ct));
        if (dbl) {
            job.zD = z.data().asNioDouble();
        } else {
            job.zF = z.data().asNioFloat();
        }
        job.zOff = (int) z.offset();

        INDArray av = null;
        INDArray y = null;
        boolean invalid = false;
        if (maskKind == InputChecks.MASK_PER_EXAMPLE) {
            job.rowWeight = perExampleWeights(mask, n);
            invalid = job.rowWeight == null;
        } else if (maskKind == InputChecks.MASK_PER_OUTPUT) {
            av = dense(mask.castTo(ct));
            if (dbl) {
                job.availD = av.data().asNioDouble();
            } else {
                job.availF = av.data().asNioFloat();
            }
            job.availOff = (int) av.offset();
        }
        if (!invalid && classIds) {
            if (job.rowWeight == null) {
                job.rowWeight = new double[n];
                java.util.Arrays.fill(job.rowWeight, 1.0);
            }
            job.classIds = new int[n];
            int badId = readClassIds(labels, n, k, options.ignoreIndex(), job.classIds, job.rowWeight);
            if (badId >= 0) {
                InputChecks.diagnoseValues(logits, labels, mask, options);
                // the ids are compared exactly here, in their own type (not after a conversion)
                throw new IllegalArgumentException("class-id labels must be integers in [0, " + (k - 1)
                        + "] or ignoreIndex (" + options.ignoreIndex() + "), got "
                        + labels.reshape(n).getDouble(badId) + " at row " + badId);
            }
        } else if (!invalid) {
            y = dense(labels.castTo(ct));
            if (dbl) {
                job.yD = y.data().asNioDouble();
            } else {
                job.yF = y.data().asNioFloat();
            }
            job.yOff = (int) y.offset();
        }
        if (invalid) {
            return diagnosed(logits, labels, mask, options, output, gradientOut);
        }
        labelFactors(job, options, k, dbl);

        INDArray gradient = null;
        if (output.gradient) {
            gradient = gradientOut != null ? gradientOut : NewArrays.uninitialized(ct, n, k);
            if (dbl) {
                job.gradD = gradient.data().asNioDouble();
            } else {
                job.gradF = gradient.data().asNioFloat();
            }
            job.gradOff = (int) gradient.offset();
        }

        if (inPlaceRows && !dbl && y != null && av == null && k >= rowsF.inPlaceMinClasses()) {
            job.zB = bytes(z);
            job.yB = bytes(y);
            job.gradB = gradient == null ? job.zB : bytes(gradient);   // no gradient: never written
            if (job.zB != null && job.yB != null && job.gradB != null) {
                job.zV = rowsF.inPlaceView(job.zB);
                job.yV = rowsF.inPlaceView(job.yB);
                job.gradV = gradient == null ? job.zV : rowsF.inPlaceView(job.gradB);
            }
        }

        int badRow = run(dbl ? rowsD : rowsF, job);
        // The nio views do not keep their arrays alive, and ND4J frees the memory of an array
        // that is no longer reachable (from a GC reference queue): without these fences a dense
        // copy (or a caller's temporary) could be freed while the rows still read it.
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(av);
        Reference.reachabilityFence(gradient);
        Reference.reachabilityFence(logits);
        Reference.reachabilityFence(labels);
        if (badRow >= 0) {
            return diagnosed(logits, labels, mask, options, output, gradientOut);
        }

        // the sum of the losses as returned (in the input type: a half loss beyond 65504 is
        // +-inf, as the returned half array holds it), in row order
        double lossSum = 0;
        INDArray loss = null;
        if (output.perExample) {
            loss = NewArrays.uninitialized(ct, n);
            int off = (int) loss.offset();
            if (dbl) {
                DoubleBuffer lb = loss.data().asNioDouble();
                for (int i = 0; i < n; i++) {
                    lb.put(off + i, job.rowLoss[i]);
                    lossSum += job.rowLoss[i];
                }
            } else {
                FloatBuffer lb = loss.data().asNioFloat();
                for (int i = 0; i < n; i++) {
                    lb.put(off + i, (float) job.rowLoss[i]);
                    lossSum += HostValues.asType(job.rowLoss[i], inType);
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                lossSum += HostValues.asType(job.rowLoss[i], inType);
            }
        }
        if (ct != inType) {
            // bfloat16 losses rounded to nearest by HostValues, exactly as asType counts them in
            // the sum (ND4J's own conversion need not round the same way)
            loss = loss == null ? null : inType == DataType.BFLOAT16 ? HostValues.write(job.rowLoss, inType, n)
                    : loss.castTo(inType);
            gradient = gradient == null ? null : gradient.castTo(inType);
        }
        return new XentKernel.Result(loss, gradient, output.lossSum ? lossSum : Double.NaN);
    }

    /** Runs the rows, split over threads when large enough; -1 or the first invalid row. */
    private int run(VectorRows rows, VectorJob job) {
        int n = job.n;
        int tasks = threads > 0 ? threads : Math.max(1, Nd4j.getEnvironment().maxMasterThreads());
        if (tasks <= 1 || (long) n * job.k < parallelMinElements || n < 2) {
            return rows.crossEntropy(job, 0, n);
        }
        tasks = Math.min(tasks, n);
        // splits at multiples of the row group: each row computed as on one thread
        int group = rows.rowGroup(job);
        int[] bounds = new int[tasks + 1];
        for (int c = 1; c < tasks; c++) {
            bounds[c] = (int) ((long) n * c / tasks) / group * group;
        }
        bounds[tasks] = n;
        @SuppressWarnings("unchecked")
        ForkJoinTask<Integer>[] forked = new ForkJoinTask[tasks];
        for (int c = 1; c < tasks; c++) {
            int from = bounds[c];
            int to = bounds[c + 1];
            forked[c] = ForkJoinTask.adapt(() -> rows.crossEntropy(job, from, to)).fork();
        }
        int bad = rows.crossEntropy(job, 0, bounds[1]);
        for (int c = 1; c < tasks; c++) {
            int b = forked[c].join();
            if (bad < 0 && b >= 0) {
                bad = b;
            }
        }
        return bad;
    }

    /** Invalid values were seen: the message comes from the ND4J path's checks. */
    private static XentKernel.Result diagnosed(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                               XentKernel.Output output, INDArray gradientOut) {
        InputChecks.diagnoseValues(logits, labels, mask, options);
        // the checks found the values valid (a difference of rounding at the edge of a range):
        // the ND4J path computes the result
        return nd4j(logits, labels, mask, options, output, gradientOut);
    }

    /** The ND4J path's result, its gradient in {@code gradientOut} when that is not null. */
    private static XentKernel.Result nd4j(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                          XentKernel.Output output, INDArray gradientOut) {
        return gradientOut == null ? Nd4jKernelPath.INSTANCE.compute(logits, labels, mask, options, output)
                : Nd4jKernelPath.INSTANCE.compute(logits, labels, mask, options, output, gradientOut);
    }

    /** Empty batch: loss {@code [0]}, gradient {@code [0, K]}, sum 0. */
    private static XentKernel.Result empty(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                           XentKernel.Output output) {
        int k = (int) logits.size(1);
        boolean classIds = InputChecks.checkLabels(labels, 0, k);
        InputChecks.checkMask(mask, 0, k, classIds);
        ShapeRules.checkClassWeights(options, k);
        DataType type = logits.dataType();
        return new XentKernel.Result(output.perExample ? Nd4j.create(type, 0) : null,
                output.gradient ? Nd4j.create(type, 0, k) : null, output.lossSum ? 0.0 : Double.NaN);
    }

    /** {@code a} dense c-order array with unit element stride (a copy if it is not one). */
    static INDArray dense(INDArray a) {
        return isDense(a) ? a : a.dup('c');
    }

    /** A byte view of a float32 array's whole buffer in the platform's order, or null beyond an int's byte range. */
    private static ByteBuffer bytes(INDArray a) {
        return a.data().length() > Integer.MAX_VALUE / 4 ? null : a.data().asNio().order(ByteOrder.nativeOrder());
    }

    static boolean isDense(INDArray a) {
        // nio buffers are indexed by int
        return InputChecks.isDense(a) && a.offset() + a.length() <= Integer.MAX_VALUE;
    }

    /** Per-example mask values in float64, or null if one is NaN or infinite. */
    private static double[] perExampleWeights(INDArray mask, int n) {
        INDArray m = mask.dataType() == DataType.DOUBLE || mask.dataType() == DataType.FLOAT ? mask
                : mask.castTo(DataType.DOUBLE);
        m = dense(m);
        double[] w = new double[n];
        int off = (int) m.offset();
        if (m.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = m.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                w[i] = b.get(off + i);
            }
        } else {
            FloatBuffer b = m.data().asNioFloat();
            for (int i = 0; i < n; i++) {
                w[i] = b.get(off + i);
            }
        }
        Reference.reachabilityFence(m);                  // the nio view does not keep m alive
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(w[i])) {
                return null;
            }
        }
        return w;
    }

    /**
     * Reads the class ids of the rows with a non-zero weight, compared exactly in the labels' own
     * type; sets the weight of {@code ignoreIndex} rows to 0.
     *
     * @return the first row whose id is not an integer in {@code 0..K-1} or {@code ignoreIndex}, or -1
     */
    private static int readClassIds(INDArray labels, int n, int k, int ignoreIndex, int[] ids, double[] weight) {
        INDArray l = labels;
        DataType t = l.dataType();
        if (t != DataType.INT && t != DataType.LONG && t != DataType.FLOAT && t != DataType.DOUBLE) {
            l = l.castTo(DataType.DOUBLE);            // exact for the other integer and half types
            t = DataType.DOUBLE;
        }
        l = dense(l);
        int off = (int) l.offset();
        IntBuffer ib = t == DataType.INT ? l.data().asNioInt() : null;
        LongBuffer lb = t == DataType.LONG ? l.data().asNioLong() : null;
        FloatBuffer fb = t == DataType.FLOAT ? l.data().asNioFloat() : null;
        DoubleBuffer db = t == DataType.DOUBLE ? l.data().asNioDouble() : null;
        for (int i = 0; i < n; i++) {
            if (weight[i] == 0) {
                continue;
            }
            if (ib != null || lb != null) {
                long id = ib != null ? ib.get(off + i) : lb.get(off + i);
                if (id == ignoreIndex) {
                    weight[i] = 0;
                } else if (id >= 0 && id < k) {
                    ids[i] = (int) id;
                } else {
                    return i;
                }
            } else {
                double id = fb != null ? fb.get(off + i) : db.get(off + i);
                if (id == ignoreIndex) {
                    weight[i] = 0;
                } else if (id >= 0 && id < k && id == Math.rint(id)) {
                    ids[i] = (int) id;
                } else {
                    return i;                     // NaN too
                }
            }
        }
        Reference.reachabilityFence(l);                  // the nio views do not keep l alive
        return -1;
    }

    /** {@code w y' = a * y + b}: {@code a = (1 - eps) w}, {@code b = eps w / K}, padded with zeros for the last vector. */
    private void labelFactors(VectorJob job, XentOptions options, int k, boolean dbl) {
        double eps = options.labelSmoothing();
        job.plainLabels = eps == 0 && !options.hasClassWeights();
        boolean perOutput = job.availF != null || job.availD != null;
        if (job.plainLabels) {
            return;
        }
        int len = k + Math.max(rowsF.lanes(), rowsD.lanes());
        double[] a = new double[len];
        double[] b = new double[len];
        double[] s = new double[len];
        for (int i = 0; i < k; i++) {
            double w = options.hasClassWeights() ? options.classWeight(i) : 1.0;
            a[i] = (1 - eps) * w;
            b[i] = eps * w / k;
            s[i] = eps * w;
        }
        if (dbl) {
            job.aD = a;
            job.bD = b;
            job.smoothD = perOutput ? s : null;
        } else {
            job.aF = toFloat(a);
            job.bF = toFloat(b);
            job.smoothF = perOutput ? toFloat(s) : null;
        }
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------

    @Override
    public INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return Nd4jKernelPath.INSTANCE.labelsGradient(logits, labels, mask, options);
    }

    @Override
    public INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        INDArray r = alongLastDimension(x, dimension, true, keepDims);
        return r != null ? r : Nd4jKernelPath.INSTANCE.logSumExp(x, dimension, keepDims);
    }

    @Override
    public INDArray logSoftmax(INDArray x, int dimension) {
        INDArray r = alongLastDimension(x, dimension, false, false);
        return r != null ? r : Nd4jKernelPath.INSTANCE.logSoftmax(x, dimension);
    }

    /**
     * Log-softmax or log-sum-exp along the last dimension (the case of DL4J and SameDiff), on the
     * calling thread; null for the cases the ND4J path handles (another dimension, bad
     * arguments, NaN or {@code +inf} in a slice).
     */
    private INDArray alongLastDimension(INDArray x, int dimension, boolean sumOnly, boolean keepDims) {
        if (x == null || !x.dataType().isFPType() || x.rank() < 1 || x.isEmpty()
                || (dimension < 0 ? dimension + x.rank() : dimension) != x.rank() - 1
                || x.length() > Integer.MAX_VALUE - 1024) {
            return null;
        }
        int rank = x.rank();
        DataType ct = XentKernel.computeType(x.dataType());
        INDArray cx = dense(x.castTo(ct));
        int k = (int) x.size(rank - 1);
        int n = (int) (x.length() / k);
        long[] shape = x.shape().clone();
        if (sumOnly) {
            shape[rank - 1] = 1;
            if (!keepDims) {
                shape = java.util.Arrays.copyOf(shape, rank - 1);
            }
        }
        INDArray out = NewArrays.uninitialized(ct, shape);
        boolean dbl = ct == DataType.DOUBLE;
        boolean ok = (dbl ? rowsD : rowsF).logSoftmax(dbl ? cx.data().asNioDouble() : cx.data().asNioFloat(),
                (int) cx.offset(), dbl ? out.data().asNioDouble() : out.data().asNioFloat(), (int) out.offset(), n, k,
                sumOnly);
        Reference.reachabilityFence(cx);                 // the nio view does not keep cx alive
        Reference.reachabilityFence(x);
        if (!ok) {
            return null;
        }
        return ct == x.dataType() ? out : out.castTo(x.dataType());
    }

    @Override
    public INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        return Nd4jKernelPath.INSTANCE.logSoftmaxBackward(x, dimension, upstream);
    }

    @Override
    public INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        return Nd4jKernelPath.INSTANCE.logSumExpBackward(x, dimension, upstream);
    }
}
