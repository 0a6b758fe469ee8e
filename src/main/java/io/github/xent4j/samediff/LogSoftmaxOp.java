package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import java.util.Collections;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SameDiff op behind {@link XentSameDiff#logSoftmax}: {@link XentKernel#logSoftmax} along
 * iArg 0; its gradient is {@link LogSoftmaxBpOp}. Public only because SameDiff instantiates ops
 * by reflection.
 */
public final class LogSoftmaxOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_log_softmax";

    /** For reflection. */
    public LogSoftmaxOp() {
    }

    LogSoftmaxOp(SameDiff sd, SDVariable x, int dimension) {
        super(sd, x);
        addIArgument(dimension);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    INDArray compute(List<INDArray> in) {
        return XentKernel.logSoftmax(in.get(0), iArg(0));
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        return Collections.singletonList(new LogSoftmaxBpOp(sameDiff, arg(0), grads.get(0), iArg(0)).outputVariable());
    }
}
