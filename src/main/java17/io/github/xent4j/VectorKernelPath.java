package io.github.xent4j;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Placeholder of the fused Vector API kernel (Java 17+, jdk.incubator.vector). Until the kernel
 * lands every method hands the work to the ND4J path.
 */
final class VectorKernelPath implements KernelPath {

    private VectorKernelPath() {
    }

    /** Called reflectively by {@link KernelPaths}; throws IllegalStateException saying why it cannot run. */
    public static KernelPath create() {
        jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();   // links the module
        return new VectorKernelPath();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                     XentKernel.Output output) {
        return Nd4jKernelPath.INSTANCE.compute(logits, labels, mask, options, output);
    }

    @Override
    public INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        return Nd4jKernelPath.INSTANCE.labelsGradient(logits, labels, mask, options);
    }

    @Override
    public INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        return Nd4jKernelPath.INSTANCE.logSumExp(x, dimension, keepDims);
    }

    @Override
    public INDArray logSoftmax(INDArray x, int dimension) {
        return Nd4jKernelPath.INSTANCE.logSoftmax(x, dimension);
    }

    @Override
    public INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        return Nd4jKernelPath.INSTANCE.logSoftmaxBackward(x, dimension, upstream);
    }

    @Override
    public INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        return Nd4jKernelPath.INSTANCE.logSumExpBackward(x, dimension, upstream);
    }

    @Override
    public String toString() {
        return "Vector API, " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit float species";
    }
}
