package io.github.xent4j.bench;

import io.github.xent4j.BenchKernels;
import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import io.github.xent4j.samediff.XentSameDiff;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * xent4j on one kernel path, float32, soft labels: the DL4J loss's
 * {@code computeGradientAndScore} inside a recycled workspace (as DL4J calls it while training)
 * and the SameDiff op's forward and backward ({@code calculateGradientsAndOutputs} for the loss
 * and dL/dlogits, {@code SUM}; what {@code sd.fit} runs per step).
 *
 * <p>The path is chosen per JVM, so every fork must be started with
 * {@code -Dxent4j.kernel=<kernel>}; {@link RunBenchmarks} does that, and the setup fails if the
 * path that runs is not the one the parameter names.
 */
public class XentBenchmark extends BenchmarkDefaults {

    /** The path that {@code -Dxent4j.kernel} selected in this fork: {@code nd4j} or {@code vector}. */
    @Param({"nd4j"})
    public String kernel;

    @Param({"128x10", "1024x1000", "4096x1000", "256x32000", "64x128000"})
    public String shape;

    private INDArray logits;
    private INDArray target;
    private final ActivationSoftmax softmax = new ActivationSoftmax();
    private LossSoftmaxCrossEntropy xent;
    private SameDiff graph;
    private Map<String, INDArray> feed;

    @Setup(Level.Trial)
    public void setUp() {
        BenchKernels.require(kernel);
        Inputs.threads(threads);
        int[] nk = Inputs.shape(shape);
        logits = Inputs.logits(nk[0], nk[1]);
        target = Inputs.softLabels(nk[0], nk[1]);
        xent = new LossSoftmaxCrossEntropy();

        graph = SameDiff.create();
        SDVariable z = graph.var("logits", logits.dup());
        SDVariable y = graph.placeHolder("labels", DataType.FLOAT, -1, nk[1]);
        XentSameDiff.softmaxCrossEntropy(graph, "loss", z, y, XentOptions.defaults(), LossReduce.SUM);
        feed = Map.of("labels", target);
    }

    @Benchmark
    public Pair<Double, INDArray> computeGradientAndScore() {
        try (MemoryWorkspace ws = Inputs.enterWorkspace()) {
            return xent.computeGradientAndScore(target, logits, softmax, null, false);
        }
    }

    /**
     * Outside any workspace: SameDiff manages its arrays itself. The returned arrays are closed
     * once read, as a training loop that is done with them would: otherwise ND4J frees them only
     * when the garbage collector finds them, and every call writes fresh pages (see benchmarks.md).
     */
    @Benchmark
    public double sameDiffOpForwardBackward() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            OutAndGrad r = graph.calculateGradientsAndOutputs(feed, List.of("loss"), List.of("logits"));
            double loss = r.getOutputs().get("loss").getDouble(0) + r.getGradients().get("logits").getDouble(0, 0);
            Inputs.closeAll(r.getOutputs().values());
            Inputs.closeAll(r.getGradients().values());
            return loss;
        }
    }
}
