package io.github.xent4j.samediff;

import io.github.xent4j.ShapeRules;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SameDiff front end of xent4j: an exact, numerically stable softmax cross-entropy and the stable
 * log-softmax and log-sum-exp it is built on, as SameDiff ops with analytic gradients.
 *
 * <p>Each method adds one op to the graph. Its forward value and its gradients are computed by
 * {@link XentKernel} (the same code as the DL4J loss {@link io.github.xent4j.loss.LossSoftmaxCrossEntropy}),
 * never by automatic differentiation through a chain of {@code exp} and {@code log}. The ops
 * replace SameDiff built-ins that fail in ND4J 1.0.0-M2.1:
 * <ul>
 *   <li>{@code sd.loss().softmaxCrossEntropy} ignores the upstream gradient: followed by
 *       {@code mean()} (or any scaling) its gradient is N times too large;</li>
 *   <li>{@code sd.nn.logSoftmax} takes the log of the softmax (a logit gap of 1000 gives
 *       {@code -inf}) and, with a dimension, breaks gradient creation;</li>
 *   <li>{@code sd.math.logSumExp(x, dim)} shifts by the maximum of the whole array, so a slice far
 *       below it gives {@code -inf}, and its gradient along a dimension fails.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * SameDiff sd = SameDiff.create();
 * SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 784);
 * SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 10);      // soft or one-hot
 * SDVariable w = sd.var("w", new XavierInitScheme('c', 784, 10), DataType.FLOAT, 784, 10);
 * SDVariable b = sd.zero("b", DataType.FLOAT, 10);
 * SDVariable logits = in.mmul(w).add(b);
 * SDVariable loss = XentSameDiff.softmaxCrossEntropy(sd, "loss", logits, label,
 *         XentOptions.builder().labelSmoothing(0.1).build(), LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
 * sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(1e-3))
 *         .dataSetFeatureMapping("in").dataSetLabelMapping("label").build());
 * sd.fit(trainIterator, 1);
 * }</pre>
 *
 * <h2>Registration</h2>
 * The ops are registered with SameDiff automatically when a program uses SameDiff (see
 * {@link XentOpsRegistration}; a program that never does pays nothing), and by this class's
 * static initializer. Graphs saved with them ({@code sd.save}) load only in Java SameDiff with
 * xent4j on the classpath. {@link #register()} is public for programs started with
 * {@code -Dxent4j.samediff.autoRegister=false}.
 *
 * <h2>Execution</h2>
 * The ops compute in Java while SameDiff executes the graph ({@code output}, {@code batchOutput},
 * {@code calculateGradients}, {@code fit}, {@code evaluate}); each costs what the kernel costs
 * plus one copy of its result; in a gradient graph ({@code fit}, {@code calculateGradients}) the
 * cross-entropy's forward and backward ops share one kernel pass, the logits' gradient is not
 * copied (outside workspaces), and {@code fit} reports the loss of each step. They cannot be run with {@code Nd4j.exec} on their own (that
 * throws an {@link IllegalStateException}); for INDArrays call {@link XentKernel} directly.
 * Second derivatives are not supported.
 */
public final class XentSameDiff {

    static {
        XentOpsRegistration.register();
    }

    private XentSameDiff() {
    }

    /**
     * Makes the xent4j ops known to SameDiff; idempotent. Needed only before
     * {@code SameDiff.load} of a graph containing them when the JVM runs with
     * {@code -Dxent4j.samediff.autoRegister=false} (building a graph with this class registers
     * by itself).
     *
     * @throws IllegalStateException if ND4J's op registry cannot be reached (ND4J changed)
     */
    public static void register() {
        XentOpsRegistration.register();
    }

    /**
     * Softmax cross-entropy of logits against soft labels or class ids, with an analytic
     * gradient. For row n ({@code K} classes):
     * <pre>{@code
     * y'_k   = (1 - eps) * y_k + eps / K
     * u_k    = z_k / t,   LSE = log sum_j exp(u_j),   log p_k = u_k - LSE
     * loss_n = t^2 * sum_k( -w_k * y'_k * log p_k ) + lambda * LSE^2
     * dloss_n/dz_k = t * (p_k * S - w_k * y'_k) + (2 * lambda / t) * LSE * p_k,   S = sum_k w_k y'_k
     * dloss_n/dy_k = -t^2 * (1 - eps) * w_k * log p_k
     * }</pre>
     * with the options of {@link XentOptions}:
     * <ul>
     *   <li>{@code classWeights} {@code w}: length K, each finite and &gt; 0; default all 1.
     *       Stored in the graph as a float64 constant (saved with it).</li>
     *   <li>{@code labelSmoothing} {@code eps}: [0, 1); default 0 (PyTorch's
     *       {@code label_smoothing}).</li>
     *   <li>{@code temperature} {@code t}: (0, inf); default 1; the {@code t^2} factor keeps
     *       gradient sizes (Hinton et al. 2015).</li>
     *   <li>{@code zLoss} {@code lambda}: [0, inf); default 0 (PaLM's z-loss).</li>
     *   <li>{@code ignoreIndex}: any int; default -1; class-id labels only: rows with this id get
     *       loss 0 and gradient 0.</li>
     * </ul>
     *
     * <p><b>Shapes.</b> {@code logits}: {@code [N, K]}, floating point (float32, float64,
     * float16, bfloat16). {@code labels}: soft labels {@code [N, K]} (they need not sum to 1;
     * another floating type is converted to the logits'), or class ids {@code [N]} or
     * {@code [N, 1]} (with {@code K > 1}) of type INT32, INT64 or a floating type holding integers.
     * Result, in the logits' type: {@link LossReduce#NONE} gives the per-example losses
     * {@code [N]}; {@link LossReduce#SUM} their sum (a scalar);
     * {@link LossReduce#MEAN_BY_WEIGHT} and {@link LossReduce#MEAN_BY_NONZERO_WEIGHT_COUNT} the
     * sum divided by N (every row counts, ignored ones too: DL4J's convention, which makes it equal
     * to a DL4J network's score; PyTorch's mean divides by the non-ignored weight instead).
     *
     * <p><b>Loss marking.</b> Scalar results ({@code SUM}, the means) are marked as the graph's
     * loss, as {@code sd.loss()} ops are, so {@code sd.fit} and {@code calculateGradients} use
     * them. A {@code NONE} result is not: reduce it yourself and mark that. When the result is
     * part of a larger loss, make that the only loss: {@code sd.setLossVariables(total)}
     * (otherwise both are minimised).
     *
     * <p><b>Numerical behaviour.</b> One max-shifted log-sum-exp per row: logit gaps of 1e4 are
     * exact in float32, nothing is clipped. {@code 0 * (-inf) = 0}: a {@code -inf} logit with
     * label 0 contributes nothing; with a positive label the loss is {@code +inf} (its true value)
     * while the gradient with respect to the logits stays finite; the gradient with respect to
     * such a label is {@code +inf}. Half-precision inputs are computed in float32. The sum is
     * accumulated in float64.
     *
     * <p><b>Gradients.</b> With respect to the logits: the analytic formula above times the
     * upstream gradient. With respect to floating-point soft labels: the formula above (only
     * computed when requested). Class ids and class weights get none (zeros).
     *
     * <p><b>Errors.</b> {@link IllegalArgumentException}, naming the argument, the expected and the
     * actual value, for: a logits rank other than 2 or shapes that do not match (at build time
     * where the shapes are known, otherwise when the op runs); when the op or its gradient runs,
     * negative, NaN or infinite labels, class ids outside {@code 0..K-1} (other than
     * {@code ignoreIndex}) or not integers, NaN or {@code +inf} logits, a row of all {@code -inf}
     * logits, class weights of the wrong length. SameDiff passes it on unwrapped.
     *
     * @param sd      the graph
     * @param name    name of the result variable (null: generated)
     * @param logits  {@code [N, K]} pre-softmax activations
     * @param labels  {@code [N, K]} soft labels, or {@code [N]} / {@code [N, 1]} class ids
     * @param options the options; null means {@link XentOptions#defaults()}
     * @param reduce  how to reduce the per-example losses
     * @return the loss variable, named {@code name}
     */
    public static SDVariable softmaxCrossEntropy(SameDiff sd, String name, SDVariable logits, SDVariable labels,
                                                 XentOptions options, LossReduce reduce) {
        return softmaxCrossEntropy(sd, name, logits, labels, null, options, reduce);
    }

    /**
     * {@link #softmaxCrossEntropy(SameDiff, String, SDVariable, SDVariable, XentOptions, LossReduce)}
     * with a mask, with DL4J's semantics (as {@link io.github.xent4j.loss.LossSoftmaxCrossEntropy}):
     * <ul>
     *   <li>per-example {@code [N]} or {@code [N, 1]}: row n's loss and gradient are multiplied by
     *       {@code m_n}; a row with {@code m_n = 0} gives exactly 0 even if it holds NaN, and is
     *       not validated (padding of sequences);</li>
     *   <li>per-output {@code [N, K]} of 0/1 (soft labels only): class k is removed from row n's
     *       softmax where {@code M_nk = 0}, its label ignored, smoothing spreads over the available
     *       classes.</li>
     * </ul>
     * The means still divide by N (all rows). The mask is an input, not a parameter: requesting
     * its gradient throws {@link UnsupportedOperationException}. With {@code sd.fit} feed it as a
     * placeholder ({@code TrainingConfig.Builder.dataSetLabelMaskMapping}).
     *
     * @param mask {@code [N]}, {@code [N, 1]} or {@code [N, K]}; null for none
     */
    public static SDVariable softmaxCrossEntropy(SameDiff sd, String name, SDVariable logits, SDVariable labels,
                                                 SDVariable mask, XentOptions options, LossReduce reduce) {
        requireNonNull(sd, "sd");
        requireNonNull(logits, "logits");
        requireNonNull(labels, "labels");
        requireNonNull(reduce, "reduce");
        XentOptions o = options == null ? XentOptions.defaults() : options;
        checkFloating("logits", logits);
        DataType lt = labels.dataType();
        if (lt != null && !(lt.isFPType() || lt.isIntType())) {
            throw new IllegalArgumentException("labels must be floating point (soft labels or class ids) or INT32/INT64 "
                    + "class ids, got " + lt);
        }
        checkStaticShapes(logits, labels, mask, o);
        SDVariable weights = null;
        if (o.hasClassWeights()) {
            INDArray w;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                w = Nd4j.createFromArray(o.classWeights());
            }
            weights = sd.constant(uniqueName(sd, (name == null ? "xent" : name) + "_classWeights"), w);
        }
        SDVariable[] inputs = weights == null
                ? (mask == null ? new SDVariable[]{logits, labels} : new SDVariable[]{logits, labels, mask})
                : (mask == null ? new SDVariable[]{logits, labels, weights} : new SDVariable[]{logits, labels, weights, mask});
        SDVariable out = new SoftmaxCrossEntropyOp(sd, inputs, o, reduce, weights != null, mask != null).outputVariable();
        out = rename(sd, out, name);
        if (reduce != LossReduce.NONE) {
            out.markAsLoss();
        }
        return out;
    }

    /**
     * Log-softmax along one dimension, stable in every slice:
     * <pre>{@code
     * logSoftmax(x)_i = (x_i - m) - log sum_j exp(x_j - m),   m = max_j x_j   (over the slice)
     * gradient: dL/dx = g - softmax(x) * sum(g)                  (g = dL/dlogSoftmax, sums over the slice)
     * }</pre>
     * <ul>
     *   <li>{@code x}: any rank &gt;= 1, float32, float64, float16 or bfloat16 (half precision is
     *       computed in float32); the result has its shape and type.</li>
     *   <li>{@code dimension}: in {@code [-rank, rank)}, negative counts from the end.</li>
     *   <li>Each slice uses its own maximum: a gap of 1e4 gives {@code -1e4}, not {@code -inf},
     *       and slices of very different scales in one array are all exact.</li>
     *   <li>A {@code -inf} entry gives {@code -inf} and the gradient {@code g} there; a slice that
     *       is entirely {@code -inf} gives {@code -inf} and a zero gradient, never NaN.</li>
     * </ul>
     * Example (focal loss, gamma = 2, one-hot y):
     * <pre>{@code
     * SDVariable logp = XentSameDiff.logSoftmax(sd, "logp", logits, -1);
     * SDVariable p = sd.math.exp(logp);
     * SDVariable focal = sd.math.square(p.rsub(1.0)).mul(logp).mul(y).sum().neg().div(batchSize);
     * }</pre>
     *
     * @param sd        the graph
     * @param name      name of the result variable (null: generated)
     * @param x         the input
     * @param dimension the softmax dimension
     * @return the log-softmax, named {@code name}
     * @throws IllegalArgumentException for a dimension out of range (at build time when the rank is
     *                                  known, otherwise when the op runs) or a non-floating input
     */
    public static SDVariable logSoftmax(SameDiff sd, String name, SDVariable x, int dimension) {
        requireNonNull(sd, "sd");
        requireNonNull(x, "x");
        checkFloating("x", x);
        checkDimension(x, dimension);
        return rename(sd, new LogSoftmaxOp(sd, x, dimension).outputVariable(), name);
    }

    /**
     * Log-sum-exp along one dimension, stable in every slice:
     * <pre>{@code
     * logSumExp(x) = m + log sum_i exp(x_i - m),   m = max_i x_i   (over the slice)
     * gradient: dL/dx_i = softmax(x)_i * g          (g = dL/dlogSumExp, broadcast along the slice)
     * }</pre>
     * <ul>
     *   <li>{@code x}: any rank &gt;= 1, float32, float64, float16 or bfloat16 (half precision is
     *       computed in float32); the result has its type.</li>
     *   <li>{@code dimension}: in {@code [-rank, rank)}, negative counts from the end.</li>
     *   <li>{@code keepDims}: keep the reduced dimension with size 1; otherwise it is dropped.</li>
     *   <li>Each slice uses its own maximum (SameDiff's {@code sd.math.logSumExp} uses the whole
     *       array's). A {@code -inf} entry gets gradient 0; a slice that is entirely {@code -inf}
     *       gives {@code -inf} and a zero gradient, never NaN; a slice with {@code +inf} gives
     *       {@code +inf}.</li>
     * </ul>
     * Example: {@code XentSameDiff.logSumExp(sd, "lse", logits, -1, false)} gives one value per row.
     *
     * @param sd        the graph
     * @param name      name of the result variable (null: generated)
     * @param x         the input
     * @param dimension the reduced dimension
     * @param keepDims  whether the reduced dimension stays (size 1)
     * @return the log-sum-exp, named {@code name}
     * @throws IllegalArgumentException for a dimension out of range (at build time when the rank is
     *                                  known, otherwise when the op runs) or a non-floating input
     */
    public static SDVariable logSumExp(SameDiff sd, String name, SDVariable x, int dimension, boolean keepDims) {
        requireNonNull(sd, "sd");
        requireNonNull(x, "x");
        checkFloating("x", x);
        checkDimension(x, dimension);
        return rename(sd, new LogSumExpOp(sd, x, dimension, keepDims).outputVariable(), name);
    }

    // ------------------------------------------------------------------------------------------

    private static SDVariable rename(SameDiff sd, SDVariable v, String name) {
        return name == null || name.equals(v.name()) ? v : sd.updateVariableNameAndReference(v, name);
    }

    private static String uniqueName(SameDiff sd, String base) {
        String n = base;
        for (int i = 1; sd.hasVariable(n); i++) {
            n = base + "_" + i;
        }
        return n;
    }

    private static void requireNonNull(Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    private static void checkFloating(String what, SDVariable v) {
        DataType t = v.dataType();
        if (t != null) {
            ShapeRules.checkFloatingPoint(what, t, " (variable " + v.name() + ")");
        }
    }

    private static long[] knownShape(SDVariable v) {
        try {
            return v.getShape();
        } catch (RuntimeException e) {
            return null;        // not known before execution
        }
    }

    private static void checkDimension(SDVariable x, int dimension) {
        long[] s = knownShape(x);
        if (s != null) {
            ShapeRules.checkDimension("x", s, dimension, variable(x));
        }
    }

    /** Checks what the known shapes allow (placeholder sizes of -1 match anything). */
    private static void checkStaticShapes(SDVariable logits, SDVariable labels, SDVariable mask, XentOptions o) {
        long[] z = knownShape(logits);
        if (z == null) {
            return;
        }
        ShapeRules.checkLogitsRank(z, variable(logits));
        ShapeRules.checkClassWeights(o, z[1]);
        long[] y = knownShape(labels);
        if (y != null) {
            ShapeRules.labelsKind(y, z, variable(labels));
        }
        long[] m = mask == null ? null : knownShape(mask);
        if (m != null) {
            ShapeRules.maskKind(m, z, variable(mask));
        }
    }

    private static String variable(SDVariable v) {
        return " (variable " + v.name() + ")";
    }
}
