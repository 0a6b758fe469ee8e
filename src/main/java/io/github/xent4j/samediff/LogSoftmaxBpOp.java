package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Backward op of {@link LogSoftmaxOp}: inputs {@code [x, g]}, output
 * {@link XentKernel#logSoftmaxBackward}. Public only because SameDiff instantiates ops by
 * reflection.
 */
public final class LogSoftmaxBpOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_log_softmax_bp";

    /** For reflection. */
    public LogSoftmaxBpOp() {
    }

    LogSoftmaxBpOp(SameDiff sd, SDVariable x, SDVariable upstream, int dimension) {
        super(sd, x, upstream);
        addIArgument(dimension);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    INDArray compute(List<INDArray> in) {
        return XentKernel.logSoftmaxBackward(in.get(0), iArg(0), in.get(1));
    }
}
