package io.github.xent4j.loss;

import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Exact, numerically stable softmax cross-entropy for DL4J output layers, on the logits and with
 * soft labels: a drop-in replacement for {@code LossMCXENT} with softmax.
 *
 * <p>For row n of the layer's pre-activation {@code z} ({@code [N, K]}) and labels {@code y}:
 * <pre>{@code
 * loss_n = t^2 * sum_k( -w_k * y'_k * log softmax(z / t)_k ) + lambda * logsumexp(z / t)^2
 * y'     = (1 - eps) * y + eps / K
 * dloss_n/dz_nk = t * (p_nk * S_n - w_k * y'_nk) + (2 * lambda / t) * logsumexp(z_n / t) * p_nk
 * }</pre>
 * with {@code p = softmax(z / t)}, {@code S_n = sum_k w_k y'_nk} and the options of
 * {@link XentOptions} (class weights {@code w}, label smoothing {@code eps}, temperature
 * {@code t}, z-loss {@code lambda}). {@link XentKernel} has the full definition.
 *
 * <p>What it fixes compared with {@code LossMCXENT}: it works in log space, so a confidently
 * wrong example costs its true loss (MCXENT clips probabilities at 1e-10 and saturates at 23.03);
 * its gradient {@code p * S - y} is exact when labels do not sum to 1 (MCXENT returns
 * {@code p - y}); it supports per-output masks; {@link #computeGradientAndScore} computes one
 * softmax for both results.
 *
 * <h2>Configuration</h2>
 * The output layer's activation must be {@code SOFTMAX} (the network then outputs probabilities)
 * or {@code IDENTITY} (it outputs logits); the loss always works on the pre-activation, never on
 * probabilities. Any other activation is an {@link IllegalArgumentException}.
 * <pre>{@code
 * new OutputLayer.Builder(new LossSoftmaxCrossEntropy(XentOptions.builder().labelSmoothing(0.1).build()))
 *         .nIn(128).nOut(10).activation(Activation.SOFTMAX).build();
 * }</pre>
 *
 * <h2>Shapes and reductions</h2>
 * <ul>
 *   <li>{@code preOutput}: {@code [N, K]} as DL4J hands it (RnnOutputLayer and CnnLossLayer
 *       reshape time steps and pixels into rows); views and f-order arrays are fine.</li>
 *   <li>{@code labels}: soft labels {@code [N, K]} (need not sum to 1), or class ids
 *       {@code [N, 1]} with {@code K > 1} (rows labelled {@code ignoreIndex} count for nothing).
 *       Labels of another numeric type are converted to the logits' type, as DL4J's own losses
 *       do.</li>
 *   <li>{@code mask}: {@code null}; per-example {@code [N, 1]} of finite reals, multiplying each
 *       row's loss and gradient (negative values too; a row with mask 0 gives exactly 0 even if it
 *       holds NaN); or per-output
 *       {@code [N, K]} of 0/1 marking the classes available in each row.</li>
 *   <li>{@link #computeScoreArray}: {@code [N, 1]}. {@link #computeScore}: the sum over rows,
 *       divided by N (every row, masked or not) when {@code average} is true.
 *       {@link #computeGradient}: {@code [N, K]}, not divided by N (DL4J's updater divides by
 *       the minibatch size).</li>
 *   <li>An empty batch ({@code N = 0}) is no error: {@code [0, 1]} scores, a {@code [0, K]}
 *       gradient, a score of 0, averaged or not.</li>
 * </ul>
 *
 * <p>Instances are immutable and stateless, so one instance may be shared by cloned networks
 * and threads. JSON and YAML configurations store the options.
 *
 * @see XentOptions
 * @see io.github.xent4j.samediff.XentSameDiff
 */
public final class LossSoftmaxCrossEntropy implements ILossFunction {
    private static final long serialVersionUID = 1L;

    private final XentOptions options;

    /** Plain softmax cross-entropy: {@link XentOptions#defaults()}. */
    public LossSoftmaxCrossEntropy() {
        this(XentOptions.defaults());
    }

    /**
     * Softmax cross-entropy with the given options.
     *
     * @param options the options; {@code null} means {@link XentOptions#defaults()}
     */
    @JsonCreator
    public LossSoftmaxCrossEntropy(@JsonProperty("options") XentOptions options) {
        this.options = options == null ? XentOptions.defaults() : options;
    }

    /** The options (immutable). */
    @JsonProperty("options")
    public XentOptions getOptions() {
        return options;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        checkActivation(activationFn);
        XentKernel.Result r = XentKernel.compute(preOutput, labels, mask, options, XentKernel.Output.LOSS_SUM);
        return average ? mean(r.lossSum(), preOutput) : r.lossSum();
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        checkActivation(activationFn);
        INDArray loss = XentKernel.compute(preOutput, labels, mask, options, XentKernel.Output.LOSS).loss();
        return loss.reshape(loss.length(), 1);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        checkActivation(activationFn);
        return XentKernel.compute(preOutput, labels, mask, options, XentKernel.Output.GRADIENT).gradient();
    }

    /** Loss and gradient from one softmax (DL4J itself calls the two methods separately). */
    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        checkActivation(activationFn);
        XentKernel.Result r = XentKernel.compute(preOutput, labels, mask, options,
                XentKernel.Output.GRADIENT_AND_LOSS_SUM);
        return new Pair<>(average ? mean(r.lossSum(), preOutput) : r.lossSum(), r.gradient());
    }

    /** {@code sum / N}, and 0 for an empty batch (safe division, as TensorFlow's mean losses). */
    private static double mean(double sum, INDArray preOutput) {
        long n = preOutput.size(0);
        return n == 0 ? 0.0 : sum / n;
    }

    @Override
    public String name() {
        return toString();
    }

    private static void checkActivation(IActivation activationFn) {
        if (!(activationFn instanceof ActivationSoftmax || activationFn instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("activation of the output layer must be SOFTMAX or IDENTITY for "
                    + "LossSoftmaxCrossEntropy (it works on the pre-activation logits), got " + activationFn);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LossSoftmaxCrossEntropy && options.equals(((LossSoftmaxCrossEntropy) o).options);
    }

    @Override
    public int hashCode() {
        return options.hashCode();
    }

    @Override
    public String toString() {
        return "LossSoftmaxCrossEntropy(" + options + ")";
    }
}
