package io.github.xent4j.bench;

import io.github.xent4j.BenchKernels;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Counts what one call allocates: the bytes it takes from a fresh workspace, in units of one
 * float32 {@code [N, K]} array. It sees every array the call creates through ND4J (results,
 * temporaries, {@code [N]} vectors); it does not see temporaries that a native op allocates and
 * frees inside libnd4j, nor Java heap.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@bench -Dbench.main=io.github.xent4j.bench.AllocationCensus -Dbench.args="--kernel nd4j"
 * }</pre>
 * Options: {@code --kernel auto|nd4j|vector} (as {@code -Dxent4j.kernel}), {@code --shapes},
 * {@code --out DIR} [target/bench]; writes {@code allocations-<kernel>.md}.
 */
public final class AllocationCensus {
    private AllocationCensus() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = RunBenchmarks.parse(args);
        if (opt.containsKey("kernel")) {
            // read once, at xent4j's first call below: the same as -Dxent4j.kernel on the command line
            System.setProperty("xent4j.kernel", opt.get("kernel"));
        }
        Path out = Path.of(opt.getOrDefault("out", "target/bench"));
        Files.createDirectories(out);
        List<String> shapes = RunBenchmarks.list(opt.getOrDefault("shapes", RunBenchmarks.DEFAULT_SHAPES));
        String kernel = BenchKernels.selected();
        ActivationSoftmax softmax = new ActivationSoftmax();
        LossSoftmaxCrossEntropy xent = new LossSoftmaxCrossEntropy();
        LossMCXENT mcxent = new LossMCXENT();
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
                "Allocations per call, xent4j's %s path, in float32 [N,K] arrays (workspace bytes / (4·N·K)):%n%n"
                        + "| [N,K] | xent4j computeScore | xent4j computeGradient | xent4j computeGradientAndScore "
                        + "| LossMCXENT computeGradientAndScore |%n| --- | ---: | ---: | ---: | ---: |%n", kernel));
        for (String shape : shapes) {
            int[] nk = Inputs.shape(shape);
            INDArray z = Inputs.logits(nk[0], nk[1]);
            INDArray y = Inputs.softLabels(nk[0], nk[1]);
            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            calls.put("computeScore", () -> xent.computeScore(y, z, softmax, null, false));
            calls.put("computeGradient", () -> xent.computeGradient(y, z, softmax, null));
            calls.put("computeGradientAndScore", () -> xent.computeGradientAndScore(y, z, softmax, null, false));
            calls.put("LossMCXENT", () -> mcxent.computeGradientAndScore(y, z, softmax, null, false));
            md.append("| ").append(shape.replace('x', '×'));
            for (Supplier<Object> call : calls.values()) {
                call.get();     // warm up outside any workspace
                md.append(String.format(Locale.ROOT, " | %.2f", measure(call, (long) nk[0] * nk[1] * 4)));
            }
            md.append(" |\n");
        }
        RunBenchmarks.write(out.resolve("allocations-" + kernel + ".md"), md.toString());
        System.out.print(md);
    }

    static double measure(Supplier<Object> call, long arrayBytes) {
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder()
                .initialSize(32 * arrayBytes + (16L << 20))
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        String id = "XENT_CENSUS_" + System.nanoTime();
        long used;
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, id);
        try {
            call.get();
            used = ws.getPrimaryOffset();
        } finally {
            ws.close();
            Nd4j.getWorkspaceManager().destroyWorkspace(ws);
        }
        return (double) used / arrayBytes;
    }
}
