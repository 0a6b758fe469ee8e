package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Backward op of {@link SoftmaxCrossEntropyOp}, added by its {@code doDiff}: the analytic
 * gradient with respect to the logits ({@link XentKernel#compute} with
 * {@link XentKernel.Output#GRADIENT}) or the soft labels ({@link XentKernel#labelsGradient}),
 * times the upstream gradient ({@code [N]} for {@code NONE}, a scalar otherwise, divided by N for
 * the means). Public only because SameDiff instantiates ops by reflection.
 *
 * <p>Inputs: the forward op's inputs, then the forward op's output (the loss), then the upstream
 * gradient. tArgs as the forward op; iArgs: the forward op's, then what to differentiate for
 * (encoding: {@link CrossEntropyArgs}). The loss input makes SameDiff run the forward op first,
 * during {@code fit} too, whose TrainingSession records a loss only when the loss variable's op
 * executes (without it, History and listeners would report a loss of 0); its array is not read.
 * The forward op has then computed the gradient for the logits along with the loss, and this
 * op takes it ({@link SoftmaxCrossEntropyOp#takeGradient}) instead of running the kernel again.
 */
public final class SoftmaxCrossEntropyBpOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_softmax_cross_entropy_bp";

    /** How often the gradient for the logits was not shared by the forward op (for tests). */
    static final AtomicLong RECOMPUTED = new AtomicLong();

    /** For reflection. */
    public SoftmaxCrossEntropyBpOp() {
    }

    SoftmaxCrossEntropyBpOp(SameDiff sd, SoftmaxCrossEntropyOp forward, SDVariable loss, SDVariable upstream, int wrt) {
        super(sd, append(forward.args(), loss, upstream));
        CrossEntropyArgs.encodeBackward(this, forward, wrt);
    }

    private static SDVariable[] append(SDVariable[] a, SDVariable b, SDVariable c) {
        SDVariable[] r = Arrays.copyOf(a, a.length + 2);
        r[a.length] = b;
        r[a.length + 1] = c;
        return r;
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    /** The forward op whose loss is this op's second-to-last input, or null. */
    private SoftmaxCrossEntropyOp forwardOp() {
        SDVariable[] args = args();
        if (args.length < 2) {
            return null;
        }
        DifferentialFunction producer = sameDiff.getVariableOutputOp(args[args.length - 2].name());
        return producer instanceof SoftmaxCrossEntropyOp ? (SoftmaxCrossEntropyOp) producer : null;
    }

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> dataTypes) {
        switch (CrossEntropyArgs.wrt(this)) {
            case CrossEntropyArgs.WRT_LABELS:
                return Collections.singletonList(dataTypes.get(1));
            case CrossEntropyArgs.WRT_MASK:
                return Collections.singletonList(dataTypes.get(CrossEntropyArgs.maskInput(this)));
            default:
                return Collections.singletonList(dataTypes.get(0));
        }
    }

    /**
     * The logits' gradient computed into the forward op's buffer becomes the output itself, and
     * the array SameDiff allocated becomes the forward op's buffer for the next call.
     */
    @Override
    boolean adoptOutput(INDArray result, INDArray allocated) {
        SoftmaxCrossEntropyOp forward = CrossEntropyArgs.wrt(this) == CrossEntropyArgs.WRT_LOGITS ? forwardOp() : null;
        return forward != null && forward.replaceGradientBuffer(result, allocated);
    }

    @Override
    INDArray compute(List<INDArray> in) {
        CrossEntropyArgs a = CrossEntropyArgs.decode(this, in, 2);
        INDArray upstream = in.get(in.size() - 1);
        int wrt = CrossEntropyArgs.wrt(this);
        INDArray grad;
        if (wrt == CrossEntropyArgs.WRT_LOGITS) {
            SoftmaxCrossEntropyOp forward = forwardOp();
            grad = forward == null ? null : forward.takeGradient(a.logits, a.labels);
            if (grad == null) {
                RECOMPUTED.incrementAndGet();
                grad = XentKernel.compute(a.logits, a.labels, a.mask, a.options, XentKernel.Output.GRADIENT).gradient();
            }
        } else if (wrt == CrossEntropyArgs.WRT_LABELS) {
            grad = XentKernel.labelsGradient(a.logits, a.labels, a.mask, a.options).castTo(a.labels.dataType());
        } else {
            throw new UnsupportedOperationException("the gradient of xent4j's softmaxCrossEntropy with respect to "
                    + "the mask is not supported: masks are inputs, not parameters (requested for a "
                    + Arrays.toString(a.mask.shape()) + " mask)");
        }
        long n = a.logits.size(0);
        if (n == 0) {
            return grad;                          // [0, K]: nothing to scale
        }
        double factor = a.reduce == LossReduce.MEAN_BY_WEIGHT || a.reduce == LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT
                ? 1.0 / n : 1.0;
        return Upstream.scaleRows(grad, upstream, factor, n);
    }
}
