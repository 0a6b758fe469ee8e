package io.github.xent4j.bench;

import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import io.github.xent4j.samediff.XentSameDiff;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Softmax cross-entropy loss + gradient on the JVM, side by side in one JMH run: xent4j's three
 * DL4J entry points, DL4J's {@code LossMCXENT} with softmax, SameDiff's built-in
 * {@code softmaxCrossEntropy} (forward + backward), xent4j's SameDiff op (forward + backward),
 * and the memory-traffic floor (one native
 * add reading two {@code [N, K]} arrays and writing a third, preallocated).
 *
 * <p>Every call runs inside a recycled DL4J-style workspace ({@code workspace=inside}), as DL4J
 * runs losses during training; {@code workspace=outside} measures plain allocation.
 *
 * <p>Run all of it, write Markdown and JSON with ratios to the floor:
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@bench
 * }</pre>
 * See {@link RunBenchmarks} for options.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=12g"})
public class XentBenchmark {

    @Param({"128x10", "1024x1000", "4096x1000", "256x32000", "64x128000"})
    public String shape;

    @Param({"soft", "onehot"})
    public String labels;

    @Param({"1", "2"})
    public int threads;

    @Param({"inside"})
    public String workspace;

    private INDArray logits;
    private INDArray target;
    private INDArray floorOut;
    private final ActivationSoftmax softmax = new ActivationSoftmax();
    private final LossSoftmaxCrossEntropy xent = new LossSoftmaxCrossEntropy();
    private final LossMCXENT mcxent = new LossMCXENT();
    private SameDiff builtin;
    private Map<String, INDArray> builtinFeed;
    private SameDiff xentGraph;
    private Map<String, INDArray> xentFeed;

    static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0).policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP)
            .build();

    @Setup(Level.Trial)
    public void setUp() {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]);
        int k = Integer.parseInt(nk[1]);
        Nd4j.getRandom().setSeed(42);
        logits = Nd4j.randn(DataType.FLOAT, n, k).muli(3);
        target = labels(labels, n, k);
        floorOut = Nd4j.createUninitialized(DataType.FLOAT, n, k);

        builtin = SameDiff.create();
        SDVariable z = builtin.var("logits", logits.dup());
        SDVariable y = builtin.placeHolder("labels", DataType.FLOAT, -1, k);
        builtin.loss().softmaxCrossEntropy("loss", y, z, null, LossReduce.SUM, 0.0);
        builtinFeed = Map.of("labels", target);

        xentGraph = SameDiff.create();
        SDVariable zx = xentGraph.var("logits", logits.dup());
        SDVariable yx = xentGraph.placeHolder("labels", DataType.FLOAT, -1, k);
        XentSameDiff.softmaxCrossEntropy(xentGraph, "loss", zx, yx, XentOptions.defaults(), LossReduce.SUM);
        xentFeed = Map.of("labels", target);
    }

    static INDArray labels(String kind, int n, int k) {
        if ("onehot".equals(kind)) {
            Random rnd = new Random(7);
            INDArray y = Nd4j.zeros(DataType.FLOAT, n, k);
            for (int i = 0; i < n; i++) {
                y.putScalar(i, rnd.nextInt(k), 1.0);
            }
            return y;
        }
        return Nd4j.nn().softmax(Nd4j.randn(DataType.FLOAT, n, k), 1);   // dense soft labels, rows sum to 1
    }

    private MemoryWorkspace enter() {
        return "inside".equals(workspace)
                ? Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "XENT_BENCH")
                : Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }

    @Benchmark
    public INDArray floor() {
        try (MemoryWorkspace ws = enter()) {
            return Nd4j.getExecutioner().exec(new AddOp(logits, target, floorOut))[0];
        }
    }

    @Benchmark
    public double xentComputeScore() {
        try (MemoryWorkspace ws = enter()) {
            return xent.computeScore(target, logits, softmax, null, false);
        }
    }

    @Benchmark
    public INDArray xentComputeGradient() {
        try (MemoryWorkspace ws = enter()) {
            return xent.computeGradient(target, logits, softmax, null);
        }
    }

    @Benchmark
    public Pair<Double, INDArray> xentComputeGradientAndScore() {
        try (MemoryWorkspace ws = enter()) {
            return xent.computeGradientAndScore(target, logits, softmax, null, false);
        }
    }

    @Benchmark
    public Pair<Double, INDArray> mcxentComputeGradientAndScore() {
        try (MemoryWorkspace ws = enter()) {
            return mcxent.computeGradientAndScore(target, logits, softmax, null, false);
        }
    }

    @Benchmark
    public Map<String, INDArray> sameDiffBuiltinForwardBackward() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return builtin.calculateGradients(builtinFeed, "logits");
        }
    }

    /**
     * xent4j's SameDiff op, forward and backward in one call: the loss and dL/dlogits (two
     * Java-executed ops sharing one kernel pass, each plus one copy of its result).
     */
    @Benchmark
    public OutAndGrad sameDiffOpForwardBackward() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return xentGraph.calculateGradientsAndOutputs(xentFeed, List.of("loss"), List.of("logits"));
        }
    }

    /**
     * {@code calculateGradients} for the logits alone, which is what {@code sd.fit} runs per
     * step: since the gradient op takes the loss as an input (so that {@code fit} records the
     * loss), this runs the forward op too and costs what {@link #sameDiffOpForwardBackward} does.
     */
    @Benchmark
    public Map<String, INDArray> sameDiffOpGradient() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return xentGraph.calculateGradients(xentFeed, "logits");
        }
    }
}
