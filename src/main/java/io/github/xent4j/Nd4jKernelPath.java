package io.github.xent4j;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The default path: every array operation is an ND4J native op, on any ND4J backend. */
final class Nd4jKernelPath implements KernelPath {
    static final Nd4jKernelPath INSTANCE = new Nd4jKernelPath();

    private Nd4jKernelPath() {
    }

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                     XentKernel.Output output) {
        return XentKernel.nd4jCompute(logits, labels, mask, options, output);
    }

    @Override
    public INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return XentKernel.nd4jLabelsGradient(logits, labels, mask, options);
    }

    @Override
    public INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        return XentKernel.nd4jLogSumExp(x, dimension, keepDims);
    }

    @Override
    public INDArray logSoftmax(INDArray x, int dimension) {
        return XentKernel.nd4jLogSoftmax(x, dimension);
    }

    @Override
    public INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        return XentKernel.nd4jLogSoftmaxBackward(x, dimension, upstream);
    }

    @Override
    public INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        return XentKernel.nd4jLogSumExpBackward(x, dimension, upstream);
    }
}
