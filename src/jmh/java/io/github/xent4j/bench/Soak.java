package io.github.xent4j.bench;

import io.github.xent4j.BenchKernels;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import io.github.xent4j.XentOptions;
import io.github.xent4j.samediff.XentSameDiff;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * Off-heap memory over many calls of every entry point, inside a recycled workspace (as DL4J
 * trains) and outside any workspace (arrays freed by the garbage collector). Samples the
 * process RSS and JavaCPP's count of allocated off-heap bytes ({@code Pointer.totalBytes()}) after a GC, every tenth of the run.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@soak -Dsoak.args="--calls 100000 --shape 128x10 --kernel nd4j"
 * }</pre>
 * {@code --kernel auto|nd4j|vector} chooses xent4j's path as {@code -Dxent4j.kernel} does.
 */
public final class Soak {
    private static final String SAMEDIFF_OP = "SameDiff op loss+gradient";
    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = RunBenchmarks.parse(args);
        if (opt.containsKey("kernel")) {
            // read once, at xent4j's first call below: the same as -Dxent4j.kernel on the command line
            System.setProperty("xent4j.kernel", opt.get("kernel"));
        }
        int calls = Integer.parseInt(opt.getOrDefault("calls", "100000"));
        String shape = opt.getOrDefault("shape", "128x10");
        Path out = Path.of(opt.getOrDefault("out", "target/bench"));
        Files.createDirectories(out);
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]);
        int k = Integer.parseInt(nk[1]);
        INDArray z = Nd4j.randn(DataType.FLOAT, n, k);
        INDArray y = Inputs.softLabels(n, k);
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy();
        String kernel = BenchKernels.selected();
        ActivationSoftmax softmax = new ActivationSoftmax();
        Map<String, Runnable> entryPoints = new LinkedHashMap<>();
        entryPoints.put("computeScore", () -> loss.computeScore(y, z, softmax, null, false));
        entryPoints.put("computeScoreArray", () -> loss.computeScoreArray(y, z, softmax, null));
        entryPoints.put("computeGradient", () -> loss.computeGradient(y, z, softmax, null));
        entryPoints.put("computeGradientAndScore", () -> loss.computeGradientAndScore(y, z, softmax, null, false));
        SameDiff sd = SameDiff.create();
        SDVariable logits = sd.var("logits", z.dup());
        SDVariable labels = sd.placeHolder("labels", DataType.FLOAT, -1, k);
        XentSameDiff.softmaxCrossEntropy(sd, "loss", logits, labels, XentOptions.defaults(), LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        Map<String, INDArray> feed = Map.of("labels", y);
        entryPoints.put(SAMEDIFF_OP, () -> sd.calculateGradientsAndOutputs(feed, List.of("loss"), List.of("logits")));

        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
                "Soak: %d calls per entry point at [%d,%d], float32, xent4j's %s path. Memory sampled after a GC at every 10%% of the calls; "
                        + "the table shows the first sample, the last and the largest.%n%n"
                        + "RSS minus the committed Java heap is the process's native memory (ND4J's off-heap buffers, "
                        + "libnd4j, metaspace, code); the JVM grows and shrinks its heap as it likes, which moves the RSS.%n%n"
                        + "| entry point | workspace | RSS at 10%% (MB) | RSS at end (MB) | RSS − heap at 10%% (MB) | at end (MB) | max (MB) | JavaCPP off-heap at 10%% (MB) | at end (MB) | max (MB) | µs/call |%n"
                        + "|---|---|---|---|---|---|---|---|---|---|---|%n", calls, n, k, kernel));
        for (Map.Entry<String, Runnable> e : entryPoints.entrySet()) {
            // SameDiff manages its own memory; it runs outside any workspace of the caller
            for (boolean inside : e.getKey().equals(SAMEDIFF_OP) ? new boolean[]{false} : new boolean[]{true, false}) {
                Map<String, Object> row = soak(e.getValue(), calls, inside);
                row.put("entry_point", e.getKey());
                row.put("workspace", inside ? "inside" : "outside");
                rows.add(row);
                md.append(String.format(Locale.ROOT,
                        "| %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.1f |%n",
                        e.getKey(), row.get("workspace"), row.get("rss_mb_first"), row.get("rss_mb_last"),
                        row.get("native_mb_first"), row.get("native_mb_last"), row.get("native_mb_max"),
                        row.get("javacpp_mb_first"), row.get("javacpp_mb_last"),
                        row.get("javacpp_mb_max"), row.get("us_per_call")));
                System.out.print(md.substring(md.lastIndexOf("| " + e.getKey())));
            }
        }
        RunBenchmarks.write(out.resolve("soak.md"), md.toString());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", RunBenchmarks.machine(BenchKernels.available()));
        doc.put("kernel", kernel);
        doc.put("calls", calls);
        doc.put("shape", shape);
        doc.put("results", rows);
        RunBenchmarks.write(out.resolve("soak.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(doc));
        System.out.println("Wrote " + out.resolve("soak.md"));
    }

    static Map<String, Object> soak(Runnable call, int calls, boolean inside) throws Exception {
        List<double[]> samples = new ArrayList<>();   // [rss, JavaCPP bytes, rss - committed heap] in MB
        int step = Math.max(1, calls / 10);
        long callNanos = 0;
        for (int i = 1; i <= calls; i++) {
            long t0 = System.nanoTime();
            if (inside) {
                try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(Inputs.WORKSPACE,
                        "XENT_SOAK")) {
                    call.run();
                }
            } else {
                call.run();
            }
            callNanos += System.nanoTime() - t0;
            if (i % step == 0) {
                samples.add(sample());
            }
        }
        double usPerCall = callNanos / 1e3 / calls;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("rss_mb_first", samples.get(0)[0]);
        row.put("rss_mb_last", samples.get(samples.size() - 1)[0]);
        row.put("rss_mb_max", samples.stream().mapToDouble(s -> s[0]).max().orElse(Double.NaN));
        row.put("native_mb_first", samples.get(0)[2]);
        row.put("native_mb_last", samples.get(samples.size() - 1)[2]);
        row.put("native_mb_max", samples.stream().mapToDouble(s -> s[2]).max().orElse(Double.NaN));
        row.put("javacpp_mb_first", samples.get(0)[1]);
        row.put("javacpp_mb_last", samples.get(samples.size() - 1)[1]);
        row.put("javacpp_mb_max", samples.stream().mapToDouble(s -> s[1]).max().orElse(Double.NaN));
        row.put("us_per_call", usPerCall);
        List<double[]> copy = new ArrayList<>(samples);
        row.put("samples_rss_javacpp_native_mb", copy);
        return row;
    }

    private static double[] sample() throws InterruptedException, IOException {
        System.gc();
        Thread.sleep(50);   // JavaCPP's deallocator thread frees what the GC found
        // JavaCPP counts every off-heap buffer ND4J allocates outside workspaces (Pointer.totalBytes);
        // ND4J's own AllocationsTracker stays at 0 on the CPU backend
        double rss = rssMb();
        return new double[]{rss, Pointer.totalBytes() / 1048576.0, rss - Runtime.getRuntime().totalMemory() / 1048576.0};
    }

    private static double rssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Pointer.physicalBytes() / 1048576.0;
    }
}
