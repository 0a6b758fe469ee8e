package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Backward op of {@link LogSumExpOp}: inputs {@code [x, g]} ({@code g} with or without the
 * reduced dimension), output {@link XentKernel#logSumExpBackward}. Public only because SameDiff
 * instantiates ops by reflection.
 */
public final class LogSumExpBpOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_log_sum_exp_bp";

    /** For reflection. */
    public LogSumExpBpOp() {
    }

    LogSumExpBpOp(SameDiff sd, SDVariable x, SDVariable upstream, int dimension) {
        super(sd, x, upstream);
        addIArgument(dimension);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    INDArray compute(List<INDArray> in) {
        return XentKernel.logSumExpBackward(in.get(0), iArg(0), in.get(1));
    }
}
