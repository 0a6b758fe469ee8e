package io.github.xent4j;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One implementation of xent4j's math. {@link XentKernel} is the facade: its static methods run
 * the path chosen once per JVM ({@link KernelPaths#selected()}); tests run every path by taking
 * them from {@link KernelPaths#available()}.
 *
 * <p>Every method has exactly the contract of the {@link XentKernel} method of the same name:
 * same shapes, results, numerical behaviour and {@link IllegalArgumentException}s (shape checks
 * through {@link InputChecks}, value errors through {@link InputChecks#diagnoseValues}). Inputs are
 * never modified. A path may hand any case it does not accelerate to {@link Nd4jKernelPath}.
 */
interface KernelPath {

    /** {@code "nd4j"} or {@code "vector"}: the value of {@code -Dxent4j.kernel} that selects it. */
    String name();

    XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                              XentKernel.Output output);

    /**
     * {@link #compute(INDArray, INDArray, INDArray, XentOptions, XentKernel.Output)} with the
     * gradient written into {@code gradientOut}, which {@link XentKernel} has validated (a dense
     * c-order {@code [N, K]} array of the logits' type that shares no memory with the inputs). This
     * default computes the gradient and copies it; a path may write into {@code gradientOut} directly.
     */
    default XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                      XentKernel.Output output, INDArray gradientOut) {
        XentKernel.Result r = compute(logits, labels, mask, options, output);
        gradientOut.assign(r.gradient());
        return new XentKernel.Result(r.loss(), gradientOut, r.lossSum());
    }

    INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options);

    INDArray logSumExp(INDArray x, int dimension, boolean keepDims);

    INDArray logSoftmax(INDArray x, int dimension);

    INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream);

    INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream);
}
