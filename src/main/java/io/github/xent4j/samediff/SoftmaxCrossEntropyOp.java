package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SameDiff op behind {@link XentSameDiff#softmaxCrossEntropy}; use that method rather than
 * this class. Public only because SameDiff instantiates ops by reflection.
 *
 * <p>Inputs, tArgs and iArgs: see {@link CrossEntropyArgs}. Output: the per-example loss
 * {@code [N]} ({@code NONE}) or a scalar. The gradient is analytic: {@link #doDiff} adds one
 * {@link SoftmaxCrossEntropyBpOp} per input that needs one. In the gradient graph this op computes
 * the loss and the gradient for the logits in one kernel pass and hands the gradient to its
 * backward op on the same thread ({@link #takeGradient}), so a training step costs about one
 * {@code computeGradientAndScore}.
 */
public final class SoftmaxCrossEntropyOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_softmax_cross_entropy";

    /** For reflection. */
    public SoftmaxCrossEntropyOp() {
    }

    SoftmaxCrossEntropyOp(SameDiff sd, SDVariable[] inputs, XentOptions o, LossReduce reduce, boolean hasWeights,
                          boolean hasMask) {
        super(sd, inputs);
        CrossEntropyArgs.encode(this, o, reduce, hasWeights, hasMask);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    /**
     * The gradient this op computed together with the loss, for the logits' backward op on the
     * same thread: in a gradient graph both need the same softmax, so one kernel pass serves both.
     * Cleared when taken and at the next execution; until then (a gradient request that does not
     * include the logits) it keeps one gradient-sized array alive.
     */
    private final ThreadLocal<Shared> shared = new ThreadLocal<>();

    /**
     * This thread's array for the gradient, reused while the logits' shape and type stay the
     * same: a new array on every call would cost more than the kernel, in page faults on its fresh
     * memory. The backward op hands it to SameDiff as its output and gives this op the array
     * SameDiff allocated instead ({@link #replaceGradientBuffer}), so an array that has left the
     * op is never written again.
     */
    private final ThreadLocal<INDArray> gradientBuffer = new ThreadLocal<>();

    private INDArray gradientBuffer(INDArray logits) {
        INDArray b = gradientBuffer.get();
        if (b == null || b.wasClosed() || b.dataType() != logits.dataType()
                || !Arrays.equals(b.shape(), logits.shape())) {
            b = Nd4j.createUninitializedDetached(logits.dataType(), logits.shape());
            gradientBuffer.set(b);
        }
        return b;
    }

    /**
     * If {@code buffer} is this thread's gradient buffer, makes {@code next} the buffer instead
     * and returns true: {@code buffer} then belongs to the caller (it becomes the backward op's
     * output). {@code next} must be an array nothing else refers to, of the same type and shape.
     */
    boolean replaceGradientBuffer(INDArray buffer, INDArray next) {
        if (buffer == null || gradientBuffer.get() != buffer) {
            return false;
        }
        gradientBuffer.set(next);
        return true;
    }

    /** A gradient and the exact input arrays it was computed from. */
    private static final class Shared {
        final INDArray logits;
        final INDArray labels;
        final INDArray gradient;

        Shared(INDArray logits, INDArray labels, INDArray gradient) {
            this.logits = logits;
            this.labels = labels;
            this.gradient = gradient;
        }
    }

    @Override
    INDArray compute(List<INDArray> in) {
        CrossEntropyArgs a = CrossEntropyArgs.decode(this, in, 0);
        shared.remove();
        boolean share = feedsLogitsGradient();
        XentKernel.Output mode = a.reduce == LossReduce.NONE
                ? (share ? XentKernel.Output.BOTH : XentKernel.Output.LOSS)
                : (share ? XentKernel.Output.GRADIENT_AND_LOSS_SUM : XentKernel.Output.LOSS_SUM);
        XentKernel.Result r = share
                ? XentKernel.compute(a.logits, a.labels, a.mask, a.options, mode, gradientBuffer(a.logits))
                : XentKernel.compute(a.logits, a.labels, a.mask, a.options, mode);
        if (share) {
            shared.set(new Shared(a.logits, a.labels, r.gradient()));
        }
        switch (a.reduce) {
            case NONE:
                return r.loss();
            case SUM:
                return Nd4j.scalar(a.logits.dataType(), r.lossSum());
            default:        // the means; an empty batch has mean 0 (safe division), as its sum
                long n = a.logits.size(0);
                return Nd4j.scalar(a.logits.dataType(), n == 0 ? 0.0 : r.lossSum() / n);
        }
    }

    /**
     * Whether a backward op for the logits reads this op's output, i.e. this is the copy of the op
     * in SameDiff's gradient graph ({@code fit}, {@code calculateGradients}); the forward graph
     * that {@code sd.output} runs has none, and there the op computes the loss alone.
     */
    private boolean feedsLogitsGradient() {
        SameDiffOp self = sameDiff == null ? null : sameDiff.getOps().get(getOwnName());
        List<String> outputs = self == null ? null : self.getOutputsOfOp();
        Variable out = outputs == null || outputs.isEmpty() ? null : sameDiff.getVariables().get(outputs.get(0));
        List<String> consumers = out == null ? null : out.getInputsForOp();
        if (consumers != null) {
            for (String id : consumers) {
                SameDiffOp consumer = sameDiff.getOps().get(id);
                if (consumer != null && consumer.getOp() instanceof SoftmaxCrossEntropyBpOp
                        && CrossEntropyArgs.wrt((SoftmaxCrossEntropyBpOp) consumer.getOp()) == CrossEntropyArgs.WRT_LOGITS) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The gradient computed by this op's last execution on this thread, if it was computed from
     * exactly these arrays (the same objects); null otherwise. Handed out once.
     */
    INDArray takeGradient(INDArray logits, INDArray labels) {
        Shared s = shared.get();
        shared.remove();
        return s != null && s.logits == logits && s.labels == labels ? s.gradient : null;
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable g = grads.get(0);
        SDVariable[] args = args();
        SDVariable loss = outputVariable();
        List<SDVariable> out = new ArrayList<>();
        out.add(new SoftmaxCrossEntropyBpOp(sameDiff, this, loss, g, CrossEntropyArgs.WRT_LOGITS).outputVariable());
        SDVariable labels = args[1];
        out.add(labels.dataType().isFPType()
                ? new SoftmaxCrossEntropyBpOp(sameDiff, this, loss, g, CrossEntropyArgs.WRT_LABELS).outputVariable()
                : sameDiff.zerosLike(labels));                    // integer class ids: no gradient, never executed
        if (CrossEntropyArgs.hasWeights(this)) {
            out.add(sameDiff.zerosLike(args[CrossEntropyArgs.WEIGHTS_INPUT]));   // a constant: never executed
        }
        if (CrossEntropyArgs.hasMask(this)) {
            SDVariable mask = args[CrossEntropyArgs.maskInput(this)];
            out.add(mask.dataType().isFPType()
                    ? new SoftmaxCrossEntropyBpOp(sameDiff, this, loss, g, CrossEntropyArgs.WRT_MASK).outputVariable()
                    : sameDiff.zerosLike(mask));
        }
        return out;
    }
}
