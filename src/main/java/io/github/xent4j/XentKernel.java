package io.github.xent4j;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.controlflow.Select;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.api.ops.impl.reduce.same.Min;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The math of xent4j: a numerically stable softmax cross-entropy with soft labels, and the
 * stable log-sum-exp and log-softmax it is built on, as pure functions over {@link INDArray}s.
 *
 * <p>Both front ends are thin adapters over this class: the DL4J loss function
 * ({@link io.github.xent4j.loss.LossSoftmaxCrossEntropy}) and the SameDiff ops
 * ({@link io.github.xent4j.samediff.XentSameDiff}). It can also be called directly.
 *
 * <h2>Definition (one row n of logits {@code z} and labels {@code y}, K classes)</h2>
 * <pre>{@code
 * y'_k  = (1 - eps) * y_k + eps / K                   label smoothing
 * u_k   = z_k / t                                     temperature
 * LSE   = log sum_j exp(u_j)                          = m + log sum_j exp(u_j - m), m = max_j u_j
 * p_k   = exp(u_k - LSE)                              softmax
 * S     = sum_j w_j * y'_j
 * loss  = t^2 * sum_k( -w_k * y'_k * (u_k - LSE) ) + lambda * LSE^2
 * dloss/dz_k = t * (p_k * S - w_k * y'_k) + (2 * lambda / t) * LSE * p_k
 * }</pre>
 * with {@code w} the class weights, {@code eps} the label smoothing, {@code t} the temperature
 * and {@code lambda} the z-loss weight of {@link XentOptions}. Labels need not sum to 1: the
 * gradient {@code p * S - w * y'} is exact for any non-negative labels (DL4J's
 * {@code LossMCXENT} uses {@code p - y}, which is wrong unless {@code S = 1}).
 *
 * <h2>Shapes</h2>
 * <ul>
 *   <li>{@code logits}: {@code [N, K]}, any ordering or view; never modified.</li>
 *   <li>{@code labels}: soft labels {@code [N, K]}, or class ids {@code [N, 1]} or {@code [N]}
 *       (when {@code K > 1}) holding integers in {@code 0..K-1} or {@code ignoreIndex}; never
 *       modified. Labels of another numeric type than the logits are converted (DL4J passes the
 *       user's label arrays unconverted while it converts the layer input, so a float data
 *       pipeline feeding a double or half-precision network must keep working).</li>
 *   <li>{@code mask} (nullable): per-example {@code [N, 1]} or {@code [N]}, multiplying row n's
 *       loss and gradient by {@code m_n}; or per-output {@code [N, K]} of 0/1 entries marking
 *       which classes are available in each row. An unavailable class is removed from the row's
 *       softmax (as if {@code z = -inf}) and its label is ignored (as if {@code y = 0}); label
 *       smoothing spreads {@code eps / K_n} over the {@code K_n} available classes. A row with no
 *       available class counts as masked.</li>
 *   <li>Result: per-example loss {@code [N]} and gradient {@code dloss/dz} {@code [N, K]}
 *       (c-order), both in the logits' data type.</li>
 * </ul>
 *
 * <h2>Numerical behaviour</h2>
 * <ul>
 *   <li>One max-shifted log-sum-exp per row: {@code log p_k} is {@code (u_k - m) - log sum_j
 *       exp(u_j - m)}, and the shift is taken before dividing by {@code t}, so a logit gap of
 *       1e4 in float32 is exact. Nothing is clipped.</li>
 *   <li>{@code 0 * (-inf) = 0}: a class with {@code y' = 0} and {@code z = -inf} contributes
 *       nothing. A class with {@code y' > 0} and {@code z = -inf} makes the loss {@code +inf}
 *       (its true value) while the gradient stays finite ({@code -t * w_k * y'_k} there).</li>
 *   <li>Masked rows (mask 0, {@code ignoreIndex} rows, rows with no available class) give
 *       exactly 0 loss and gradient whatever their content (NaN, inf) and are never validated;
 *       unavailable classes give a 0 gradient and are never validated.</li>
 *   <li>float16 and bfloat16 are computed in float32 inside; results come back in the input
 *       type.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link IllegalArgumentException}, naming the argument, the expected and the actual, for: rank
 * or shape mismatches between logits, labels, mask and class weights; in an unmasked row,
 * negative, NaN or infinite soft labels, class ids that are not integers in {@code 0..K-1}
 * (other than {@code ignoreIndex}), NaN or {@code +inf} logits, or logits that are all
 * {@code -inf}; a per-output mask with entries other than 0 and 1 or combined with class ids.
 * The common case costs one reduction of the labels and one finiteness test of an {@code [N]}
 * vector; only when that test fails are the inputs searched for the culprit.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * XentKernel.Result r = XentKernel.compute(logits, softLabels, null,
 *         XentOptions.builder().labelSmoothing(0.1).build(), XentKernel.Output.BOTH);
 * double total = r.loss().sumNumber().doubleValue();
 * INDArray dLdz = r.gradient();
 * }</pre>
 */
public final class XentKernel {

    /** What {@link #compute} should produce; asking for less does less work. */
    public enum Output {
        /** Per-example losses (and their sum). */
        LOSS(true, true, false),
        /** The gradient only. */
        GRADIENT(false, false, true),
        /** Per-example losses, their sum and the gradient. */
        BOTH(true, true, true),
        /** Only the sum of the per-example losses (DL4J's {@code computeScore}). */
        LOSS_SUM(false, true, false),
        /** The gradient and the loss sum (DL4J's {@code computeGradientAndScore}). */
        GRADIENT_AND_LOSS_SUM(false, true, true);

        final boolean perExample;
        final boolean lossSum;
        final boolean gradient;

        Output(boolean perExample, boolean lossSum, boolean gradient) {
            this.perExample = perExample;
            this.lossSum = lossSum;
            this.gradient = gradient;
        }

        boolean anyLoss() {
            return perExample || lossSum;
        }
    }

    /**
     * Per-example loss {@code [N]}, its sum and the gradient {@code [N, K]} in the logits' data
     * type; what was not asked for is {@code null} (or NaN for the sum).
     */
    public static final class Result {
        private final INDArray loss;
        private final INDArray gradient;
        private final double lossSum;

        Result(INDArray loss, INDArray gradient, double lossSum) {
            this.loss = loss;
            this.gradient = gradient;
            this.lossSum = lossSum;
        }

        /**
         * Sum of the per-example losses, from the values before they are converted to the logits'
         * type: accumulated in float64, or, for inputs of at most 16384 elements, by the fused
         * native op in the compute type (measured within 3e-6 relative, inside the contract's
         * tolerance). {@code +inf} when a row's loss is; NaN if no loss was requested.
         */
        public double lossSum() {
            return lossSum;
        }

        /** Per-example loss {@code [N]}, masked; {@code null} if not requested. */
        public INDArray loss() {
            return loss;
        }

        /** {@code dloss_n / dz_nk}, {@code [N, K]}, masked; {@code null} if not requested. */
        public INDArray gradient() {
            return gradient;
        }
    }

    /**
     * Inputs of at most this many elements use the fused native op (see {@code solveFused}).
     * Set by measurement (README, "Benchmarks"); overridable with the system property
     * {@code xent4j.fusedMaxElements} (0 disables the fused path).
     */
    static volatile long fusedMaxElements = Long.getLong("xent4j.fusedMaxElements", 16384);

    /**
     * How the large-input path exponentiates: {@code softmax} (libnd4j's SoftMax in place, the
     * row sums from its maxima), {@code exp} (Exp in place and a row Sum), or {@code auto}:
     * softmax when ND4J runs one native thread ({@code maxMasterThreads}, e.g.
     * {@code OMP_NUM_THREADS=1}), exp with more. Measured back to back (README, "Benchmarks"):
     * at 1M elements and more softmax is 5 to 17% faster with one thread and 7 to 30% slower
     * with two (libnd4j's SoftMax parallelises worse). Overridable with the system property
     * {@code xent4j.leanExponentials}.
     */
    static volatile String leanExponentials = System.getProperty("xent4j.leanExponentials", "auto");

    private XentKernel() {
    }

    // The public entry points run the path chosen once per JVM (KernelPaths); each path has the
    // contract documented on the nd4j* methods below.

    /** See {@link #nd4jCompute}. */
    public static Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options, Output output) {
        return KernelPaths.selected().compute(logits, labels, mask, options, output);
    }

    /** See {@link #nd4jLabelsGradient}. */
    public static INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return KernelPaths.selected().labelsGradient(logits, labels, mask, options);
    }

    /** See {@link #nd4jLogSumExp}. */
    public static INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        return KernelPaths.selected().logSumExp(x, dimension, keepDims);
    }

    /** See {@link #nd4jLogSoftmax}. */
    public static INDArray logSoftmax(INDArray x, int dimension) {
        return KernelPaths.selected().logSoftmax(x, dimension);
    }

    /** See {@link #nd4jLogSoftmaxBackward}. */
    public static INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        return KernelPaths.selected().logSoftmaxBackward(x, dimension, upstream);
    }

    /** See {@link #nd4jLogSumExpBackward}. */
    public static INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        return KernelPaths.selected().logSumExpBackward(x, dimension, upstream);
    }

    /**
     * Softmax cross-entropy of {@code logits} against {@code labels}, as defined in the class
     * documentation.
     *
     * @param logits  {@code [N, K]} pre-activations, floating point; not modified
     * @param labels  {@code [N, K]} soft labels, or {@code [N, 1]} / {@code [N]} class ids when
     *                {@code K > 1}; not modified
     * @param mask    {@code null}, per-example {@code [N, 1]} / {@code [N]}, or per-output
     *                {@code [N, K]} of 0/1; not modified
     * @param options the loss options; the class weights must have length K
     * @param output  which results to compute
     * @return the requested results, in the logits' data type
     * @throws IllegalArgumentException for bad input, see the class documentation
     */
    static Result nd4jCompute(INDArray logits, INDArray labels, INDArray mask, XentOptions options, Output output) {
        Problem p = Problem.prepare(logits, labels, mask, options);
        return p.solve(output);
    }

    /**
     * Stable log-sum-exp along one dimension: {@code m + log sum exp(x - m)} with {@code m} the
     * slice's own maximum. A slice that is entirely {@code -inf} gives {@code -inf}; a slice that
     * contains {@code +inf} gives {@code +inf}; NaN propagates.
     *
     * @param x         floating-point array of any rank &gt;= 1; not modified
     * @param dimension the reduced dimension, negative counts from the end
     * @param keepDims  keep the reduced dimension with size 1
     * @return the log-sum-exp in the data type of {@code x}
     * @throws IllegalArgumentException if {@code x} is not floating point or the dimension is out
     *                                  of range
     */
    static INDArray nd4jLogSumExp(INDArray x, int dimension, boolean keepDims) {
        int dim = checkDimension("x", x, dimension);
        DataType in = x.dataType();
        Slices s = Slices.shift(castForCompute(x), dim, 1.0, true).exponentiate();
        INDArray lse = s.max.addi(Nd4j.getExecutioner().exec(new Log(s.sumExp)));
        if (!keepDims) {
            lse = lse.reshape(reducedShape(x.shape(), dim));
        }
        return lse.castTo(in);
    }

    /**
     * Stable log-softmax along one dimension: {@code (x - m) - log sum exp(x - m)} with {@code m}
     * the slice's own maximum, so it never underflows to {@code -inf} (ND4J's {@code log_softmax}
     * takes the log of the softmax and does). A slice that is entirely {@code -inf} gives
     * {@code -inf} everywhere.
     *
     * @param x         floating-point array of any rank &gt;= 1; not modified
     * @param dimension the softmax dimension, negative counts from the end
     * @return the log-softmax, same shape and data type as {@code x}
     * @throws IllegalArgumentException if {@code x} is not floating point or the dimension is out
     *                                  of range
     */
    static INDArray nd4jLogSoftmax(INDArray x, int dimension) {
        int dim = checkDimension("x", x, dimension);
        DataType in = x.dataType();
        INDArray cx = castForCompute(x);
        Slices s = Slices.shift(cx, dim, 1.0, true);
        INDArray out = s.values.dup();                       // keep the shifted values
        INDArray logSum = Nd4j.getExecutioner().exec(new Log(s.exponentiate().sumExp));
        // An all -inf slice has sum 0: -inf - log(0) would be NaN, the contract wants -inf.
        BooleanIndexing.replaceWhere(logSum, 0.0, InputChecks.negativeInfinity(logSum.dataType()));
        Nd4j.exec(new SubOp(new INDArray[]{out, logSum}, new INDArray[]{out}));
        return out.castTo(in);
    }

    // ------------------------------------------------------------------------------------------
    // Backward passes, used by the SameDiff ops (io.github.xent4j.samediff) and callable directly.

    /**
     * Gradient of the per-example losses of {@link #compute} with respect to soft labels:
     * <pre>{@code
     * dloss_n/dy_nk = t^2 * (1 - eps) * w_k * (LSE_n - u_nk)  =  -t^2 * (1 - eps) * w_k * log p_nk
     * }</pre>
     * ({@code LSE} does not depend on the labels; smoothing scales every label by
     * {@code 1 - eps}). {@code log p} is computed as {@code (z - m) / t - log sum exp((z - m) / t)}
     * with the row's own maximum {@code m}, so it is exact for logit gaps of 1e4 in float32.
     *
     * <ul>
     *   <li>Where {@code z_nk = -inf} in an unmasked row, the value is {@code +inf}: that is the
     *       true derivative ({@code p_nk = 0}), and no finite value of a formula exists there
     *       (unlike the gradient with respect to the logits, which stays finite). A positive
     *       label on such a class makes the loss {@code +inf} as well.</li>
     *   <li>Masks as in {@link #compute}: a per-example mask multiplies row n by {@code m_n}, and
     *       rows with {@code m_n = 0} are exactly 0 and never validated; with a per-output mask,
     *       unavailable classes get exactly 0 (their labels are ignored).</li>
     *   <li>Class-id labels ({@code [N]} or {@code [N, 1]}) are piecewise constant: the result is
     *       zeros of the labels' shape and data type (after the ids have been validated).</li>
     * </ul>
     *
     * @param logits  {@code [N, K]}, floating point; not modified
     * @param labels  {@code [N, K]} soft labels (or class ids, see above); not modified
     * @param mask    {@code null}, per-example {@code [N, 1]} / {@code [N]}, or per-output {@code [N, K]}
     * @param options the loss options
     * @return {@code [N, K]} in the logits' data type (zeros of the labels' shape and type for class ids)
     * @throws IllegalArgumentException for the bad inputs that {@link #compute} rejects
     */
    static INDArray nd4jLabelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        Problem p = Problem.prepare(logits, labels, mask, options);
        if (p.fromClassIds) {
            return Nd4j.zeros(labels.dataType(), labels.shape());
        }
        double t = options.temperature();
        Slices s = Slices.shift(p.z, 1, 1.0 / t, true);
        INDArray logp = s.values.dup();                                  // (z - m) / t
        INDArray logSum = Nd4j.getExecutioner().exec(new Log(s.exponentiate().sumExp));   // [N, 1]
        // Validation as compute() does it: NaN or +inf logits and unmasked all -inf rows make the
        // log-sum non-finite, bad labels show in their sum or minimum; only then is the culprit searched.
        if (!Double.isFinite(sumInDouble(logSum)) || !Double.isFinite(sumInDouble(p.y))
                || minimum(p.y) < 0) {
            InputChecks.diagnose(p);
        }
        Nd4j.exec(new SubOp(new INDArray[]{logp, logSum}, new INDArray[]{logp}));   // log p; -inf where z = -inf
        INDArray grad = logp.muli(-t * t * (1 - options.labelSmoothing()));
        if (options.hasClassWeights()) {
            INDArray w = options.classWeightArray(p.computeType).reshape(1, p.k);
            Nd4j.exec(new MulOp(new INDArray[]{grad, w}, new INDArray[]{grad}));
        }
        if (p.available != null) {
            grad = select(p.available.neq(0), grad, Nd4j.zeros(p.computeType, p.n, p.k));
        }
        if (p.rowWeights != null) {
            // masked rows hold zeroed logits, so their values are finite and become exactly 0
            mulRows(grad, p.rowWeights);
        }
        return grad.castTo(p.inType);
    }

    /**
     * Backward pass of {@link #logSoftmax}: {@code dL/dx = g - softmax(x) * sum(g)} along the
     * dimension, where {@code g = dL/dlogSoftmax(x)} is the upstream gradient. A {@code -inf}
     * entry of an ordinary slice has {@code softmax = 0} and gets {@code g} itself; a slice that
     * is entirely {@code -inf} gets exactly 0 (its log-softmax is {@code -inf} whatever x does),
     * never NaN. The softmax is computed with each slice's own maximum; half-precision inputs in
     * float32.
     *
     * @param x         the forward input, floating point, any rank &gt;= 1; not modified
     * @param dimension the softmax dimension, negative counts from the end
     * @param upstream  {@code g}, the shape of {@code x}; not modified
     * @return {@code dL/dx}, the shape and data type of {@code x}
     * @throws IllegalArgumentException if {@code x} is not floating point, the dimension is out of
     *                                  range or {@code upstream} does not have the shape of {@code x}
     */
    static INDArray nd4jLogSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        int dim = checkDimension("x", x, dimension);
        if (upstream == null || !Arrays.equals(upstream.shape(), x.shape())) {
            throw new IllegalArgumentException("upstream gradient must have the shape of x " + Arrays.toString(x.shape())
                    + ", got " + (upstream == null ? "null" : Arrays.toString(upstream.shape())));
        }
        INDArray cx = castForCompute(x);
        INDArray g = upstream.castTo(cx.dataType());
        INDArray[] softmax = softmaxAndNonEmpty(cx, dim);
        INDArray sumG = Nd4j.getExecutioner().exec(new Sum(g, true, dim));
        INDArray out = Nd4j.createUninitialized(cx.dataType(), x.shape(), 'c');
        Nd4j.exec(new MulOp(new INDArray[]{softmax[0], sumG}, new INDArray[]{out}));
        Nd4j.exec(new SubOp(new INDArray[]{g, out}, new INDArray[]{out}));
        Nd4j.exec(new MulOp(new INDArray[]{out, softmax[1]}, new INDArray[]{out}));   // all -inf slices: 0
        return out.castTo(x.dataType());
    }

    /**
     * Backward pass of {@link #logSumExp}: {@code dL/dx = softmax(x) * g} along the dimension,
     * where {@code g = dL/dlogSumExp(x)} is the upstream gradient, broadcast along the dimension.
     * A {@code -inf} entry gets 0; a slice that is entirely {@code -inf} gets exactly 0, never NaN.
     * The softmax is computed with each slice's own maximum; half-precision inputs in float32.
     *
     * @param x         the forward input, floating point, any rank &gt;= 1; not modified
     * @param dimension the reduced dimension, negative counts from the end
     * @param upstream  {@code g}, the shape of the forward result: with the reduced dimension
     *                  dropped or kept with size 1; not modified
     * @return {@code dL/dx}, the shape and data type of {@code x}
     * @throws IllegalArgumentException if {@code x} is not floating point, the dimension is out of
     *                                  range or {@code upstream} has another shape
     */
    static INDArray nd4jLogSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        int dim = checkDimension("x", x, dimension);
        long[] kept = x.shape().clone();
        kept[dim] = 1;
        long[] dropped = reducedShape(x.shape(), dim);
        if (upstream == null || !(Arrays.equals(upstream.shape(), kept) || Arrays.equals(upstream.shape(), dropped))) {
            throw new IllegalArgumentException("upstream gradient must have the shape of logSumExp(x) along dimension "
                    + dimension + ", " + Arrays.toString(dropped) + " or " + Arrays.toString(kept) + " (keepDims), got "
                    + (upstream == null ? "null" : Arrays.toString(upstream.shape())));
        }
        INDArray cx = castForCompute(x);
        INDArray g = upstream.castTo(cx.dataType()).reshape(kept);
        INDArray p = softmaxAndNonEmpty(cx, dim)[0];
        Nd4j.exec(new MulOp(new INDArray[]{p, g}, new INDArray[]{p}));
        return p.castTo(x.dataType());
    }

    /**
     * {@code softmax(x)} along {@code dim} (0 in slices that are entirely {@code -inf}) and a
     * 0/1 array of the reduced shape (dimension kept) that is 0 for such slices.
     */
    private static INDArray[] softmaxAndNonEmpty(INDArray cx, int dim) {
        Slices s = Slices.shift(cx, dim, 1.0, true).exponentiate();
        INDArray nonEmpty = s.sumExp.neq(0).castTo(cx.dataType());
        INDArray sum = s.sumExp.dup();
        BooleanIndexing.replaceWhere(sum, 1.0, Conditions.equals(0.0));   // 0 / 1 = 0 for all -inf slices
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp(
                new INDArray[]{s.values, sum}, new INDArray[]{s.values}));
        return new INDArray[]{s.values, nonEmpty};
    }

    // ------------------------------------------------------------------------------------------
    // Shared building block: one max-shifted exp-sum per slice.

    /**
     * The max-shifted values of every slice along {@code dim}, {@code (x - m) * scale}, then their
     * exponentials and sums. The shift comes before the scaling so that {@code x - m} is exact
     * for neighbouring values and the scaling adds only a relative rounding error. One
     * {@code [.., K, ..]} array holds the shifted values and, after {@link #exponentiate}, their
     * exponentials: callers that need both use the shifted values first.
     */
    static final class Slices {
        /** Slice maxima (kept dimension of size 1); with {@code zeroInfiniteMax}, infinite maxima are 0. */
        final INDArray max;
        /** {@code (x - max) * scale}, then {@code exp} of it; c-order, owned by the caller. */
        final INDArray values;
        private final int dim;
        /** Sum of the exponentials per slice (kept dimension of size 1), after {@link #exponentiate}. */
        INDArray sumExp;

        private Slices(INDArray max, INDArray values, int dim) {
            this.max = max;
            this.values = values;
            this.dim = dim;
        }

        /**
         * @param x               input in the compute type, not modified
         * @param dim             normalised dimension
         * @param scale           factor applied after the shift (1 / temperature)
         * @param zeroInfiniteMax replace infinite slice maxima by 0, so that an all {@code -inf}
         *                        slice gives {@code exp = 0} (log-sum-exp {@code -inf}) and a
         *                        {@code +inf} entry gives {@code +inf} rather than NaN; without
         *                        it both give NaN, which the cross-entropy uses to detect invalid
         *                        rows for free
         */
        static Slices shift(INDArray x, int dim, double scale, boolean zeroInfiniteMax) {
            INDArray max = Nd4j.getExecutioner().exec(new Max(x, true, dim));        // keepDims: broadcastable
            if (zeroInfiniteMax) {
                BooleanIndexing.replaceWhere(max, 0.0, Conditions.isInfinite());
            }
            INDArray shifted = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
            Nd4j.exec(new SubOp(new INDArray[]{x, max}, new INDArray[]{shifted}));
            if (scale != 1.0) {
                shifted.muli(scale);
            }
            return new Slices(max, shifted, dim);
        }

        /**
         * Replaces the shifted values by their softmax, in place, and returns each slice's largest
         * probability (kept dimension of size 1). The shifted values have maximum 0, so that
         * probability is {@code exp(0) / sum exp = 1 / sum exp}: the sum without a pass of its
         * own. libnd4j's SoftMax (1.9 ns per element here) is cheaper than its Exp (2.2) plus a
         * row Sum (0.8). NaN anywhere in a slice makes the whole slice, and so its maximum, NaN.
         */
        INDArray softmaxInPlace() {
            Nd4j.exec(new SoftMax(values, values, dim));
            return Nd4j.getExecutioner().exec(new Max(values, true, dim));
        }

        /** Replaces the shifted values by their exponentials and sums them per slice. */
        Slices exponentiate() {
            Nd4j.getExecutioner().exec(new Exp(values, values));
            sumExp = Nd4j.getExecutioner().exec(new Sum(values, true, dim));
            return this;
        }
    }

    // ------------------------------------------------------------------------------------------
    // The cross-entropy, prepared once per call.

    /** Validated, converted inputs of one call. Holds only arrays made in this call. */
    static final class Problem {
        final int n;
        final int k;
        final DataType inType;
        final DataType computeType;
        final XentOptions options;
        /** Logits in the compute type; masked rows 0, unavailable classes -inf. Read only. */
        final INDArray z;
        /** Soft labels in the compute type (one-hot for class ids); masked rows 0. Read only. */
        final INDArray y;
        /** Per-row multiplier of loss and gradient, {@code [N]}, or null for all 1. */
        final INDArray rowWeights;
        /** Per-output availability {@code [N, K]} 0/1, or null when every class is available. */
        final INDArray available;
        /** Whether y came from class ids (then it is valid by construction). */
        final boolean fromClassIds;

        private Problem(int n, int k, DataType inType, DataType computeType, XentOptions options, INDArray z,
                        INDArray y, INDArray rowWeights, INDArray available, boolean fromClassIds) {
            this.n = n;
            this.k = k;
            this.inType = inType;
            this.computeType = computeType;
            this.options = options;
            this.z = z;
            this.y = y;
            this.rowWeights = rowWeights;
            this.available = available;
            this.fromClassIds = fromClassIds;
        }

        static Problem prepare(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
            if (options == null) {
                throw new IllegalArgumentException("options must not be null (use XentOptions.defaults())");
            }
            InputChecks.checkLogits(logits);
            int n = (int) logits.size(0);
            int k = (int) logits.size(1);
            boolean classIds = InputChecks.checkLabels(labels, n, k);
            int maskKind = InputChecks.checkMask(mask, n, k, classIds);
            if (options.hasClassWeights() && options.classWeightCount() != k) {
                throw new IllegalArgumentException("classWeights must have length K = " + k
                        + " (the number of classes, logits.size(1)), got length " + options.classWeightCount());
            }
            DataType inType = logits.dataType();
            DataType ct = computeType(inType);
            INDArray z = logits.castTo(ct);

            INDArray rowWeights = null;
            INDArray available = null;
            if (maskKind == InputChecks.MASK_PER_EXAMPLE) {
                rowWeights = mask.reshape(n).castTo(ct);
                InputChecks.checkFinite("mask", rowWeights);
            } else if (maskKind == InputChecks.MASK_PER_OUTPUT) {
                available = mask.castTo(ct);
                InputChecks.checkZeroOne(available);
                // A row with no available class counts as masked.
                rowWeights = Nd4j.getExecutioner().exec(new Max(available, 1));
                z = select(available.neq(0), z, Nd4j.valueArrayOf(z.shape(), Double.NEGATIVE_INFINITY, ct));
            }

            INDArray y;
            if (classIds) {
                INDArray ids = labels.reshape(n).castTo(ct);
                if (rowWeights != null) {
                    ids = select(rowWeights.neq(0), ids, Nd4j.zeros(ct, n));
                }
                INDArray kept = InputChecks.checkClassIds(ids, k, options.ignoreIndex(), rowWeights);
                rowWeights = rowWeights == null ? kept : rowWeights.mul(kept);
                // OneHot gives an all-zero row for an id outside 0..K-1: -1 empties dropped rows.
                INDArray idsForOneHot = select(rowWeights.neq(0), ids, Nd4j.valueArrayOf(new long[]{n}, -1.0, ct))
                        .castTo(DataType.INT32);
                y = Nd4j.createUninitialized(ct, n, k);
                Nd4j.exec(new OneHot(idsForOneHot, y, k, -1, 1.0, 0.0));
            } else {
                y = labels.castTo(ct);
                if (available != null) {
                    y = select(available.neq(0), y, Nd4j.zeros(ct, n, k));
                }
            }
            if (rowWeights != null) {
                // Masked rows may hold anything (NaN, inf): zero them so they cannot poison the
                // row reductions; their results are multiplied by 0 at the end.
                INDArray keep = rowWeights.neq(0);
                INDArray zeros = Nd4j.zeros(ct, n, k);
                z = select(keep, z, zeros);
                if (!classIds) {
                    y = select(keep, y, zeros);
                }
            }
            return new Problem(n, k, inType, ct, options, z, y, rowWeights, available, classIds);
        }

        Result solve(Output output) {
            if (fusedApplies()) {
                Result r = solveFused(output);
                if (r != null) {
                    return r;
                }
                // Non-finite results: the lean path finds the culprit or handles -inf logits.
            }
            return solveLean(output);
        }

        /**
         * Small inputs cost what their native calls cost (microseconds each), so they use
         * libnd4j's fused {@code softmax_cross_entropy_loss_grad}: one call gives the exact
         * gradient {@code p * S - y'} and, as the gradient with respect to per-example weights,
         * the per-example losses, computed from max-shifted logits. Its wasted work (dL/dlabels,
         * a second forward pass) is linear in N*K and does not matter at these sizes. It cannot
         * apply a temperature after the shift, and has no z-loss or per-output masks.
         */
        private boolean fusedApplies() {
            return (long) n * k <= XentKernel.fusedMaxElements && options.temperature() == 1 && options.zLoss() == 0
                    && available == null;
        }

        private Result solveFused(Output output) {
            boolean weighted = options.hasClassWeights();
            INDArray target = weighted ? weightedSmoothedLabels() : y;     // smoothing done natively otherwise
            double nativeSmoothing = weighted ? 0.0 : options.labelSmoothing();
            // With one weight for all rows, dL/dweight is the loss sum (accumulated in the compute
            // type: within 3e-6 relative for the <= 16384 rows this path sees); with a weight per
            // row it is the per-example loss, unweighted.
            boolean perRow = rowWeights != null || output.perExample;
            INDArray weights = rowWeights != null ? rowWeights
                    : perRow ? Nd4j.ones(computeType, n) : one(computeType);
            INDArray lossOut = Nd4j.createUninitialized(computeType, perRow ? new long[]{n} : new long[0]);
            // (each array costs ~5 us at MNIST's size: the label check borrows the loss scalar)
            checkNonNegativeLabels(perRow ? null : lossOut);
            INDArray gradient = null;
            if (output.gradient) {
                gradient = Nd4j.createUninitialized(computeType, n, k);
                INDArray labelGradient = Nd4j.createUninitialized(computeType, n, k);   // unused
                Nd4j.exec(DynamicCustomOp.builder("softmax_cross_entropy_loss_grad")
                        .addInputs(z, weights, target)
                        .addOutputs(gradient, lossOut, labelGradient)
                        .addIntegerArguments(0)                                      // treated as SUM
                        .addFloatingPointArguments(nativeSmoothing)
                        .build());
                if (rowWeights != null) {
                    lossOut.muli(rowWeights);                                        // the gradient rows already are
                }
            } else {
                // the forward op wants [N, 1] weights and output (reduction NONE), or a scalar (SUM)
                Nd4j.exec(DynamicCustomOp.builder("softmax_cross_entropy_loss")
                        .addInputs(z, perRow ? weights.reshape(n, 1) : weights, target)
                        .addOutputs(perRow ? lossOut.reshape(n, 1) : lossOut)
                        .addIntegerArguments(perRow ? 0 : 1)
                        .addFloatingPointArguments(nativeSmoothing)
                        .build());
            }
            double lossSum = perRow ? sumInDouble(lossOut) : lossOut.getDouble(0);
            if (!Double.isFinite(lossSum)) {
                return null;
            }
            return new Result(output.perExample ? lossOut.castTo(inType) : null,
                    gradient == null ? null : gradient.castTo(inType), output.lossSum ? lossSum : Double.NaN);
        }

        /** Whether this call's lean path exponentiates with SoftMax (see {@link #leanExponentials}). */
        private static boolean viaSoftmax() {
            String mode = leanExponentials;
            // maxMasterThreads, not maxThreads: setMaxThreads(1) leaves maxThreads() at the core count
            return "softmax".equals(mode) || !"exp".equals(mode) && Nd4j.getEnvironment().maxMasterThreads() <= 1;
        }

        /** One max-shifted exp pass and a handful of cheap passes; everything else goes here. */
        private Result solveLean(Output output) {
            XentOptions o = options;
            double t = o.temperature();
            double lambda = o.zLoss();

            // target = w * y' (the weighted smoothed labels), and S = its row sums computed as
            // (1 - eps) * sum(w * y) + eps * mean of the available w, not as a sum of K small
            // numbers.
            INDArray target = weightedSmoothedLabels();
            INDArray rowSums = rowLabelSums();
            checkNonNegativeLabels();

            Slices s = Slices.shift(z, 1, 1.0 / t, false);
            // sum_k w y' (u_k - m) needs the shifted values, before they become probabilities
            INDArray dot = output.anyLoss() ? Nd4j.getExecutioner().exec(new Dot(target, s.values, 1)) : null;
            INDArray logSumExp;                                                       // log sum exp(u - m)
            INDArray sumExp = null;
            if (viaSoftmax()) {
                // s.values becomes p = softmax(u); its row maximum is 1 / sum exp(u - m), so
                // log sum exp(u - m) = -log(max p): NaN for rows with NaN or +inf logits, or all -inf
                logSumExp = Nd4j.getExecutioner().exec(new Log(s.softmaxInPlace().reshape(n))).negi();
            } else {
                // s.values becomes exp(u - m)
                sumExp = s.exponentiate().sumExp.reshape(n);
                // Log(x) alone would overwrite sumExp, which the gradient needs
                logSumExp = Nd4j.getExecutioner().exec(new Log(sumExp, sumExp.ulike()));
            }
            INDArray lse = null;                                                      // LSE of u
            if (lambda != 0) {
                lse = s.max.reshape(n).mul(1.0 / t).addi(logSumExp);
            }

            // coefficient of p = exp(u - m) / sum exp(u - m) in the gradient:
            // grad = p * (t * S + (2 lambda / t) * LSE) - t * w * y'
            INDArray coef = rowSums.mul(t);
            if (lambda != 0) {
                coef.addi(lse.mul(2 * lambda / t));
            }
            if (sumExp != null) {
                coef.divi(sumExp);                                                    // s.values holds exp(u - m)
            }

            INDArray loss = null;
            double lossSum = Double.NaN;
            if (output.anyLoss()) {
                // loss = t^2 * (S * log sum exp(u - m) - sum_k w y' (u_k - m)) + lambda * LSE^2
                loss = lossFrom(rowSums, logSumExp, dot, lse);
                lossSum = sumInDouble(loss);
            }
            // Finiteness test of [N] vectors: NaN/+inf logits and all -inf rows make logSumExp
            // (and the loss) non-finite, NaN/inf labels coef (and the loss); 0 * (-inf) and
            // positive labels on -inf logits make the loss so.
            double probe = output.anyLoss() ? lossSum : sumInDouble(coef) + sumInDouble(logSumExp);
            if (!Double.isFinite(probe)) {
                InputChecks.diagnose(this);   // throws for invalid input
                if (loss != null) {
                    loss = lossWithInfiniteLogits(target, rowSums, logSumExp, lse);
                    lossSum = sumInDouble(loss);
                }
            }

            INDArray gradient = null;
            if (output.gradient) {
                gradient = s.values;   // our own array of probabilities or exponentials: overwrite in place
                mulRows(gradient, coef);
                Nd4j.getExecutioner().exec(new Axpy(target, gradient, gradient, -t));
                if (available != null) {
                    // exp(-inf) and the label are 0 there already; make it exactly +0.0
                    gradient.muli(available);
                }
                if (rowWeights != null) {
                    mulRows(gradient, rowWeights);
                }
            }
            return new Result(output.perExample ? loss.castTo(inType) : null,
                    gradient == null ? null : gradient.castTo(inType), lossSum);
        }

        /** {@code t^2 * (S * logSumExp - dot) + lambda * LSE^2}, times the row weights. */
        private INDArray lossFrom(INDArray rowSums, INDArray logSumExp, INDArray dot, INDArray lse) {
            double t = options.temperature();
            INDArray loss = rowSums.mul(logSumExp).subi(dot);
            if (t != 1) {
                loss.muli(t * t);
            }
            if (lse != null) {
                // (lambda * LSE) * LSE: no overflow unless the true value overflows
                loss.addi(lse.mul(options.zLoss()).muli(lse));
            }
            if (rowWeights != null) {
                loss.muli(rowWeights);
            }
            return loss;
        }

        /**
         * Negative labels are the one invalid input that leaves every result finite, so they get
         * their own reduction. (NaN and infinite labels and logits show up in the finiteness
         * test of the results.)
         */
        private void checkNonNegativeLabels() {
            checkNonNegativeLabels(null);
        }

        /** @param scratch a scalar of the compute type to receive the minimum, or null */
        private void checkNonNegativeLabels(INDArray scratch) {
            if (!fromClassIds && minimum(y, scratch) < 0) {
                InputChecks.diagnose(this);
            }
        }

        /** {@code w * y'} as an array of the compute type; {@code y} itself when that is the same. */
        private INDArray weightedSmoothedLabels() {
            double eps = options.labelSmoothing();
            INDArray w = options.classWeightArray(computeType);
            if (eps == 0) {
                return w == null ? y : y.mulRowVector(w);
            }
            INDArray target = y.mul(1 - eps);
            if (available == null) {
                target.addi(eps / k);
            } else {
                // eps / K_n on the K_n available classes of row n (K_n = 0 rows are masked;
                // count them as 1 so that 0 * (eps / 0) cannot make a NaN)
                INDArray count = Nd4j.getExecutioner().exec(new Sum(available, 1));
                BooleanIndexing.replaceWhere(count, 1.0, Conditions.lessThan(0.5));
                INDArray perClass = count.rdivi(eps);
                target.addi(available.mulColumnVector(perClass));
            }
            if (w != null) {
                target.muliRowVector(w);
            }
            return target;
        }

        /** {@code S_n = sum_k w_k y'_nk}, {@code [N]}. */
        private INDArray rowLabelSums() {
            double eps = options.labelSmoothing();
            INDArray w = options.hasClassWeights() ? options.classWeightArray(computeType).reshape(k, 1) : null;
            INDArray weightedSum = w == null ? Nd4j.getExecutioner().exec(new Sum(y, 1)) : y.mmul(w).reshape(n);
            if (eps == 0) {
                return weightedSum;
            }
            INDArray sums = weightedSum.mul(1 - eps);
            if (available == null) {
                sums.addi(eps * (w == null ? 1.0 : options.classWeightMean()));
            } else {
                // eps * (sum of the available w) / K_n
                INDArray count = Nd4j.getExecutioner().exec(new Sum(available, 1));
                INDArray availableWeight = w == null ? count.dup() : available.mmul(w).reshape(n);
                // a row with no available class is masked; avoid 0/0 there
                BooleanIndexing.replaceWhere(count, 1.0, Conditions.lessThan(0.5));
                sums.addi(availableWeight.divi(count).muli(eps));
            }
            return sums;
        }

        /**
         * The loss for rows with {@code -inf} logits, with {@code 0 * (-inf) = 0} made explicit: a
         * -inf shifted logit contributes 0 where its target is 0 and makes the row +inf where its
         * target is positive.
         */
        private INDArray lossWithInfiniteLogits(INDArray target, INDArray rowSums, INDArray logSumExp, INDArray lse) {
            // The fast path's shifted values became exponentials; this rare path shifts again.
            INDArray shifted = Slices.shift(z, 1, 1.0 / options.temperature(), false).values;
            INDArray negInf = InputChecks.matches(shifted, InputChecks.negativeInfinity(computeType)).castTo(computeType);
            INDArray targetOnNegInf = Nd4j.getExecutioner().exec(new Dot(target, negInf, 1));
            BooleanIndexing.replaceWhere(shifted, 0.0, Conditions.isInfinite());
            INDArray loss = lossFrom(rowSums, logSumExp, Nd4j.getExecutioner().exec(new Dot(target, shifted, 1)), lse);
            INDArray inf = Nd4j.valueArrayOf(loss.shape(), Double.POSITIVE_INFINITY, computeType);
            return select(targetOnNegInf.gt(0), inf, loss);
        }
    }

    /** {@code x[n, :] *= v[n]} with a shape-broadcasting op (the legacy column broadcast is 10x slower). */
    private static void mulRows(INDArray x, INDArray v) {
        Nd4j.exec(new MulOp(new INDArray[]{x, v.reshape(v.length(), 1)}, new INDArray[]{x}));
    }

    private static final ConcurrentHashMap<DataType, INDArray> ONES = new ConcurrentHashMap<>();

    /** A read-only scalar 1 of the type, made once outside any workspace (creating one costs ~5 us). */
    private static INDArray one(DataType type) {
        return ONES.computeIfAbsent(type, t -> {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.scalar(t, 1.0);
            }
        });
    }

    /** Smallest element, into a scalar of our own ({@code minNumber()} costs a few microseconds more). */
    static double minimum(INDArray x) {
        return minimum(x, null);
    }

    static double minimum(INDArray x, INDArray scalar) {
        INDArray out = scalar != null ? scalar : Nd4j.createUninitialized(x.dataType(), new long[0]);
        Nd4j.getExecutioner().exec(new Min(x, out));
        return out.getDouble(0);
    }

    /** Sum accumulated in float64. */
    static double sumInDouble(INDArray x) {
        return (x.dataType() == DataType.DOUBLE ? x : x.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
    }

    /** {@code out = condition ? whenTrue : whenFalse}; a condition {@code [N]} selects rows. */
    static INDArray select(INDArray condition, INDArray whenTrue, INDArray whenFalse) {
        INDArray out = Nd4j.createUninitialized(whenTrue.dataType(), whenTrue.shape(), 'c');
        Nd4j.exec(new Select(new INDArray[]{condition, whenTrue, whenFalse}, new INDArray[]{out}));
        return out;
    }

    static DataType computeType(DataType t) {
        return t == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    private static INDArray castForCompute(INDArray x) {
        return x.castTo(computeType(x.dataType()));
    }

    private static int checkDimension(String name, INDArray x, int dimension) {
        if (x == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!x.dataType().isFPType()) {
            throw new IllegalArgumentException(name + " must be floating point (FLOAT, DOUBLE, HALF, BFLOAT16), got "
                    + x.dataType());
        }
        int rank = x.rank();
        if (rank < 1 || dimension < -rank || dimension >= rank) {
            throw new IllegalArgumentException("dimension must be in [" + (-rank) + ", " + (rank - 1) + "] for "
                    + name + " of shape " + Arrays.toString(x.shape()) + ", got " + dimension);
        }
        return dimension < 0 ? dimension + rank : dimension;
    }

    private static long[] reducedShape(long[] shape, int dim) {
        long[] reduced = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != dim) {
                reduced[j++] = shape[i];
            }
        }
        return reduced;
    }
}
