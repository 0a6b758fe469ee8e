package io.github.xent4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 *   <li>Per-row scalars ({@code S}, {@code LSE}, the z-loss coefficient) are kept in float64,
 *       and the gradient is formed as {@code t * (p_k * S - w_k * y'_k) + ((2 lambda / t) * LSE)
 *       * p_k} with {@code t} applied after the subtraction: results are finite whenever their
 *       true value is representable in the input's type (labels of 1e38 with {@code t = 4}, class
 *       weights of 1e30). A loss whose true value overflows is {@code +inf}, which is valid.</li>
 *   <li>{@code log sum exp(u - m)} is {@code log1p(r + c - 1)}, where {@code r} sums the
 *       exponentials of the non-maximal entries and {@code c} counts the maxima, so tiny
 *       log-sum-exps keep their relative accuracy (z-loss of a confident row).</li>
 *   <li>A per-example mask is a finite real multiplier: negative values are allowed and give
 *       {@code m_n} times the row's values ({@code -inf} for a mask of -1 on a {@code +inf}
 *       loss); {@code m_n = 0} gives exactly 0.</li>
 *   <li>Class ids are compared exactly in the labels' own type (INT32/INT64 as integers,
 *       floating labels by their value), never after rounding to the logits' type.</li>
 *   <li>{@code K = 1}: the loss is {@code lambda * LSE^2} and the gradient
 *       {@code (2 lambda / t) * LSE} (both 0 without z-loss); invalid logits are still
 *       rejected.</li>
 *   <li>{@code N = 0}: no error; an empty per-example loss {@code [0]}, a {@code [0, K]}
 *       gradient and a loss sum of 0.</li>
 *   <li>float16 and bfloat16 are computed in at least float32 inside; results come back in the
 *       input type.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link IllegalArgumentException}, naming the argument, the expected and the actual, for: rank
 * or shape mismatches between logits, labels, mask and class weights; in an unmasked row,
 * negative, NaN or infinite soft labels, class ids that are not integers in {@code 0..K-1}
 * (other than {@code ignoreIndex}), NaN or {@code +inf} logits, or logits that are all
 * {@code -inf}; soft labels whose row sum overflows the compute type; a per-example mask with
 * NaN or infinite entries; a per-output mask with entries other than 0 and 1 or combined with
 * class ids. Valid inputs are recognised as a side effect of the computation; only when a value
 * is suspect are the inputs searched for the culprit (for the message).
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
         * Sum of the per-example losses as returned (in the logits' type, so a loss that overflows
         * the type counts as {@code +inf}), accumulated in float64. {@code +inf} when a row's loss
         * is; 0 for an empty batch; NaN if no loss was requested.
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

    private XentKernel() {
    }

    /** The type the math runs in: float64 for float64 inputs, float32 for the others. */
    static DataType computeType(DataType t) {
        return t == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    // Every entry point runs the path chosen once per JVM (KernelPaths); each path implements
    // exactly the contract documented here.

    /**
     * Softmax cross-entropy of {@code logits} against {@code labels}, as defined in the class
     * documentation.
     *
     * @param logits  {@code [N, K]} pre-activations, floating point, {@code N >= 0}, {@code K >= 1};
     *                not modified
     * @param labels  {@code [N, K]} soft labels, or {@code [N, 1]} / {@code [N]} class ids when
     *                {@code K > 1}; not modified
     * @param mask    {@code null}, per-example {@code [N, 1]} / {@code [N]} of finite reals, or
     *                per-output {@code [N, K]} of 0/1; not modified
     * @param options the loss options; the class weights must have length K
     * @param output  which results to compute
     * @return the requested results, in the logits' data type
     * @throws IllegalArgumentException for bad input, see the class documentation
     */
    public static Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options, Output output) {
        return KernelPaths.selected().compute(logits, labels, mask, options, output);
    }

    /**
     * {@link #compute(INDArray, INDArray, INDArray, XentOptions, Output)} with the gradient written
     * into {@code gradientOut} (PyTorch's {@code out=}): a caller that computes the gradient again
     * and again can reuse one array instead of having a new one allocated on every call. The
     * result's {@link Result#gradient()} is {@code gradientOut}; its values are exactly those the
     * other overload returns. If the call throws, {@code gradientOut}'s contents are unspecified.
     *
     * @param output      {@link Output#GRADIENT}, {@link Output#BOTH} or {@link Output#GRADIENT_AND_LOSS_SUM}
     * @param gradientOut a dense c-order {@code [N, K]} array of the logits' data type (not a view
     *                    with gaps), sharing no memory with {@code logits}, {@code labels} or {@code mask}
     * @throws IllegalArgumentException for the bad inputs that the other overload rejects, and for
     *                                  a {@code gradientOut} or {@code output} outside these rules
     */
    public static Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options, Output output,
                                 INDArray gradientOut) {
        InputChecks.checkGradientOut(gradientOut, output, logits, labels, mask);
        return KernelPaths.selected().compute(logits, labels, mask, options, output, gradientOut);
    }

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
    public static INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return KernelPaths.selected().labelsGradient(logits, labels, mask, options);
    }

    /**
     * Stable log-sum-exp along one dimension: {@code m + log sum exp(x - m)} with {@code m} the
     * slice's own maximum. A slice that is entirely {@code -inf} gives {@code -inf}; a slice that
     * contains {@code +inf} gives {@code +inf}; NaN propagates. {@code log sum exp(x - m)} is
     * {@code log1p} of the sum of the non-maximal exponentials plus the number of other maxima,
     * so that a tiny result keeps its digits: float32 {@code [0, -17]} gives 4.14e-8, not 0.
     *
     * @param x         floating-point array of any rank &gt;= 1; not modified
     * @param dimension the reduced dimension, negative counts from the end
     * @param keepDims  keep the reduced dimension with size 1
     * @return the log-sum-exp in the data type of {@code x}
     * @throws IllegalArgumentException if {@code x} is not floating point or the dimension is out
     *                                  of range
     */
    public static INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        return KernelPaths.selected().logSumExp(x, dimension, keepDims);
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
    public static INDArray logSoftmax(INDArray x, int dimension) {
        return KernelPaths.selected().logSoftmax(x, dimension);
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
    public static INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        return KernelPaths.selected().logSoftmaxBackward(x, dimension, upstream);
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
    public static INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        return KernelPaths.selected().logSumExpBackward(x, dimension, upstream);
    }
}
