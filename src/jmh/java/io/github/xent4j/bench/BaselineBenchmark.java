package io.github.xent4j.bench;

import java.util.Map;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * What xent4j is measured against, with the inputs of {@link XentBenchmark}: the memory floor
 * (one native add that reads two {@code [N, K]} arrays and writes a third, preallocated: the
 * traffic a fused loss and gradient cannot avoid), DL4J's {@code LossMCXENT} with softmax
 * ({@code computeGradientAndScore} in a recycled workspace) and SameDiff's built-in
 * {@code softmaxCrossEntropy}, forward and backward.
 */
public class BaselineBenchmark extends BenchmarkDefaults {

    @Param({"128x10", "1024x1000", "4096x1000", "256x32000", "64x128000"})
    public String shape;

    private INDArray logits;
    private INDArray target;
    private INDArray floorOut;
    private final ActivationSoftmax softmax = new ActivationSoftmax();
    private final LossMCXENT mcxent = new LossMCXENT();
    private SameDiff builtin;
    private Map<String, INDArray> feed;

    @Setup(Level.Trial)
    public void setUp() {
        Inputs.threads(threads);
        int[] nk = Inputs.shape(shape);
        logits = Inputs.logits(nk[0], nk[1]);
        target = Inputs.softLabels(nk[0], nk[1]);
        floorOut = Nd4j.createUninitialized(DataType.FLOAT, nk[0], nk[1]);

        builtin = SameDiff.create();
        SDVariable z = builtin.var("logits", logits.dup());
        SDVariable y = builtin.placeHolder("labels", DataType.FLOAT, -1, nk[1]);
        builtin.loss().softmaxCrossEntropy("loss", y, z, null, LossReduce.SUM, 0.0);
        feed = Map.of("labels", target);
    }

    @Benchmark
    public INDArray floor() {
        try (MemoryWorkspace ws = Inputs.enterWorkspace()) {
            return Nd4j.getExecutioner().exec(new AddOp(logits, target, floorOut))[0];
        }
    }

    @Benchmark
    public Pair<Double, INDArray> mcxentComputeGradientAndScore() {
        try (MemoryWorkspace ws = Inputs.enterWorkspace()) {
            return mcxent.computeGradientAndScore(target, logits, softmax, null, false);
        }
    }

    /** The returned arrays closed once read, as for the xent4j op ({@link XentBenchmark#sameDiffOpForwardBackward}). */
    @Benchmark
    public double sameDiffBuiltinForwardBackward() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            Map<String, INDArray> r = builtin.calculateGradients(feed, "logits");
            double first = r.get("logits").getDouble(0, 0);
            Inputs.closeAll(r.values());
            return first;
        }
    }
}
