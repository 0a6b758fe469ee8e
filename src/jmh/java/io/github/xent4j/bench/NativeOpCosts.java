package io.github.xent4j.bench;

import java.util.Collection;
import java.util.Locale;
import java.util.TreeMap;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.api.ops.impl.reduce.same.Min;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The cost of each native op that {@code XentKernel} (and {@code LossMCXENT}) uses, in
 * nanoseconds per element of a float32 {@code [N, K]} array, 1 thread ({@code OMP_NUM_THREADS=1}
 * in the fork): the bound on what any composition of them can reach. Every op writes into a preallocated array (or in place, with
 * values that stay finite), so the numbers are the ops' own cost, not allocation.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@bench -Dbench.main=io.github.xent4j.bench.NativeOpCosts
 * }</pre>
 * writes {@code target/bench/native-ops.md}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class NativeOpCosts {

    @Param({"1024x1000"})
    public String shape;

    private INDArray x;
    private INDArray y;
    private INDArray out;
    private INDArray rowOut;
    private INDArray rowOnes;
    private INDArray onesK;
    private INDArray scalarOut;
    private INDArray weights;
    private INDArray lossOut;
    private INDArray labelGradient;

    @Setup(Level.Trial)
    public void setUp() {
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]);
        int k = Integer.parseInt(nk[1]);
        Nd4j.getRandom().setSeed(1);
        x = Nd4j.randn(DataType.FLOAT, n, k);
        y = Nd4j.nn().softmax(Nd4j.randn(DataType.FLOAT, n, k), 1);
        out = Nd4j.createUninitialized(DataType.FLOAT, n, k);
        rowOut = Nd4j.createUninitialized(DataType.FLOAT, n, 1);
        rowOnes = Nd4j.ones(DataType.FLOAT, n, 1);
        onesK = Nd4j.ones(DataType.FLOAT, k, 1);
        scalarOut = Nd4j.scalar(DataType.FLOAT, 0f);
        weights = Nd4j.scalar(DataType.FLOAT, 1f);
        lossOut = Nd4j.scalar(DataType.FLOAT, 0f);
        labelGradient = Nd4j.createUninitialized(DataType.FLOAT, n, k);
    }

    /** The floor of the main benchmark: reads two [N,K] arrays, writes a third. */
    @Benchmark
    public Object add() {
        return Nd4j.exec(new AddOp(new INDArray[]{x, y}, new INDArray[]{out}));
    }

    @Benchmark
    public Object exp() {
        return Nd4j.getExecutioner().exec(new Exp(x, out));
    }

    @Benchmark
    public Object log() {
        return Nd4j.getExecutioner().exec(new Log(y, out));
    }

    @Benchmark
    public Object softmax() {
        return Nd4j.exec(new SoftMax(x, out, 1));
    }

    /** Softmax over its own output, in place (values stay in (0, 1)). */
    @Benchmark
    public Object softmaxInPlace() {
        return Nd4j.exec(new SoftMax(y, y, 1));
    }

    @Benchmark
    public Object maxRows() {
        return Nd4j.getExecutioner().exec(new Max(x, rowOut, 1));
    }

    @Benchmark
    public Object sumRows() {
        return Nd4j.getExecutioner().exec(new Sum(x, rowOut, 1));
    }

    /**
     * Row sums as a matrix-vector product with ones (BLAS gemv). Alone it beats {@link #sumRows};
     * inside the kernel (in a workspace, right after the exp pass) it made
     * {@code computeGradientAndScore} slower (9.5 against 7.1 ms at 1024x1000), so the kernel
     * keeps libnd4j's {@code Sum}.
     */
    @Benchmark
    public Object sumRowsGemv() {
        return Nd4j.gemm(x, onesK, rowOut, false, false, 1.0, 0.0);
    }

    @Benchmark
    public Object dotRows() {
        return Nd4j.getExecutioner().exec(new Dot(x, y, rowOut.reshape(rowOut.length()), 1));
    }

    @Benchmark
    public Object minAll() {
        return Nd4j.getExecutioner().exec(new Min(x, scalarOut));
    }

    @Benchmark
    public Object norm2All() {
        return Nd4j.getExecutioner().exec(new Norm2(x, scalarOut));
    }

    /** {@code [N,K] - [N,1]} into a preallocated array (the max shift). */
    @Benchmark
    public Object subRowBroadcast() {
        return Nd4j.exec(new SubOp(new INDArray[]{x, rowOnes}, new INDArray[]{out}));
    }

    /** {@code [N,K] * [N,1]} in place (the scaling by S / sum exp); factors of 1 keep it stable. */
    @Benchmark
    public Object mulRowBroadcastInPlace() {
        return Nd4j.exec(new MulOp(new INDArray[]{out, rowOnes}, new INDArray[]{out}));
    }

    /** The same product into another array: libnd4j's in-place broadcast is the slow one. */
    @Benchmark
    public Object mulRowBroadcast() {
        return Nd4j.exec(new MulOp(new INDArray[]{x, rowOnes}, new INDArray[]{out}));
    }

    /** {@code out = -1e-30 * y + out} in place (the {@code - w y'} update). */
    @Benchmark
    public Object axpy() {
        return Nd4j.getExecutioner().exec(new Axpy(y, out, out, -1e-30));
    }

    /** libnd4j's fused loss and gradient (for comparison; xent4j does not use it). */
    @Benchmark
    public Object softmaxCrossEntropyLossGrad() {
        return Nd4j.exec(DynamicCustomOp.builder("softmax_cross_entropy_loss_grad")
                .addInputs(x, weights, y)
                .addOutputs(out, lossOut, labelGradient)
                .addIntegerArguments(0)
                .addFloatingPointArguments(0.0)
                .build());
    }

    /** Runs the benchmarks above and writes {@code native-ops.md} with ns per element. */
    public static void main(String[] args) throws Exception {
        Map<String, String> opt = RunBenchmarks.parse(args);
        Path outDir = Path.of(opt.getOrDefault("out", "target/bench"));
        Files.createDirectories(outDir);
        String shape = opt.getOrDefault("shapes", "1024x1000");
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(NativeOpCosts.class.getName() + "." + opt.getOrDefault("include", ".*"))
                .param("shape", shape.split(","))
                // one OpenMP thread: libnd4j's OpenMP regions ignore ND4J's thread settings
                .jvm(RunBenchmarks.threadsWrapper(outDir, Path.of(System.getProperty("java.home"), "bin", "java"), 1))
                .build()).run();
        Map<String, String> rows = new TreeMap<>();
        for (RunResult r : results) {
            String s = r.getParams().getParam("shape");
            String[] nk = s.split("x");
            double elements = Double.parseDouble(nk[0]) * Double.parseDouble(nk[1]);
            double medianUs = r.getPrimaryResult().getStatistics().getPercentile(50);
            String name = r.getParams().getBenchmark().substring(NativeOpCosts.class.getName().length() + 1);
            rows.put(s + " " + name, String.format(Locale.ROOT, "| %s | %s | %.1f | %.2f |%n", s, name, medianUs,
                    medianUs * 1000 / elements));
        }
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
                "Native op costs, float32, 1 thread, median of JMH samples (%s).%n%n"
                        + "| [N,K] | op | µs | ns per element |%n|---|---|---|---|%n",
                RunBenchmarks.machine()));
        rows.values().forEach(md::append);
        RunBenchmarks.write(outDir.resolve("native-ops.md"), md.toString());
        System.out.print(md);
    }
}
