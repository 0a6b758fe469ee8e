package io.github.xent4j.samediff;

import io.github.xent4j.XentKernel;
import java.util.Collections;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SameDiff op behind {@link XentSameDiff#logSumExp}: {@link XentKernel#logSumExp} along
 * iArg 0, keeping the dimension when iArg 1 is 1; its gradient is {@link LogSumExpBpOp}. Public
 * only because SameDiff instantiates ops by reflection.
 */
public final class LogSumExpOp extends JavaKernelOp {
    /** The op name stored in saved graphs. */
    public static final String OP_NAME = "xent4j_log_sum_exp";

    /** For reflection. */
    public LogSumExpOp() {
    }

    LogSumExpOp(SameDiff sd, SDVariable x, int dimension, boolean keepDims) {
        super(sd, x);
        addIArgument(dimension, keepDims ? 1 : 0);
    }

    @Override
    public String opName() {
        return OP_NAME;
    }

    @Override
    INDArray compute(List<INDArray> in) {
        return XentKernel.logSumExp(in.get(0), iArg(0), iArg(1) != 0);
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        return Collections.singletonList(new LogSumExpBpOp(sameDiff, arg(0), grads.get(0), iArg(0)).outputVariable());
    }
}
