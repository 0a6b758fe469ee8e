package io.github.xent4j.bench;

import io.github.xent4j.BenchKernels;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * DL4J's call pattern for an output layer, {@code computeScore} then {@code computeGradient} in
 * one workspace, with and without a per-example mask {@code [N, 1]} (the label mask that
 * {@code RnnOutputLayer} passes, here with every {@value Inputs#MASKED_EVERY}th row masked out).
 * {@code [40, 14]} is a seq2seq step of DL4J's addition example.
 *
 * <p>{@code loss=xent4j} needs {@code -Dxent4j.kernel=<kernel>} in the fork, as in
 * {@link XentBenchmark}; {@code loss=mcxent} ignores {@code kernel}.
 */
public class MaskBenchmark extends BenchmarkDefaults {

    /** {@code xent4j} or {@code mcxent} (DL4J's {@code LossMCXENT} with softmax). */
    @Param({"xent4j"})
    public String loss;

    @Param({"nd4j"})
    public String kernel;

    /** {@code none} or {@code perExample}. */
    @Param({"none", "perExample"})
    public String mask;

    @Param({"40x14", "1024x1000"})
    public String shape;

    private INDArray logits;
    private INDArray target;
    private INDArray maskArray;
    private final ActivationSoftmax softmax = new ActivationSoftmax();
    private ILossFunction fn;

    @Setup(Level.Trial)
    public void setUp() {
        switch (loss) {
            case "xent4j":
                BenchKernels.require(kernel);
                fn = new LossSoftmaxCrossEntropy();
                break;
            case "mcxent":
                fn = new LossMCXENT();
                break;
            default:
                throw new IllegalArgumentException("loss must be xent4j or mcxent, got '" + loss + "'");
        }
        Inputs.threads(threads);
        int[] nk = Inputs.shape(shape);
        logits = Inputs.logits(nk[0], nk[1]);
        target = Inputs.softLabels(nk[0], nk[1]);
        switch (mask) {
            case "none":
                maskArray = null;
                break;
            case "perExample":
                maskArray = Inputs.perExampleMask(nk[0]);
                break;
            default:
                throw new IllegalArgumentException("mask must be none or perExample, got '" + mask + "'");
        }
    }

    @Benchmark
    public void scoreThenGradient(Blackhole bh) {
        try (MemoryWorkspace ws = Inputs.enterWorkspace()) {
            bh.consume(fn.computeScore(target, logits, softmax, maskArray, false));
            bh.consume(fn.computeGradient(target, logits, softmax, maskArray));
        }
    }
}
