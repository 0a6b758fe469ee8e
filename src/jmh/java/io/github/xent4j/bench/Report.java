package io.github.xent4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.openjdk.jmh.results.RunResult;

/**
 * The tables of one {@link RunBenchmarks} run: JMH medians, PyTorch's medians, the ratios that
 * the targets are stated in, and whether each target is met.
 */
final class Report {
    static final String CGS = "computeGradientAndScore";
    static final String SD_OP = "sameDiffOpForwardBackward";
    static final String FLOOR = "floor";
    static final String MCXENT = "mcxentComputeGradientAndScore";
    static final String SD_BUILTIN = "sameDiffBuiltinForwardBackward";
    static final String MASK_XENT = "mask:xent4j";
    static final String MASK_MCXENT = "mask:mcxent";
    static final String TORCH = "torch";
    private static final long LARGE = 1024L * 1000;

    /**
     * One median. {@code name} is the benchmark method, or {@code mask:<loss>} for
     * {@link MaskBenchmark}; {@code kernel} is null where no xent4j path runs.
     */
    record Cell(String name, String kernel, String mask, String shape, int threads, double medianUs, long samples) {
        static Cell of(RunResult r) {
            var p = r.getParams();
            String method = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            String kernel = p.getParam("kernel");
            String name = method;
            if (method.equals("scoreThenGradient")) {
                name = "mask:" + p.getParam("loss");
                if (!"xent4j".equals(p.getParam("loss"))) {
                    kernel = null;
                }
            }
            var stats = r.getPrimaryResult().getStatistics();
            return new Cell(name, kernel, p.getParam("mask"), p.getParam("shape"), Integer.parseInt(p.getParam("threads")),
                    stats.getPercentile(50), stats.getN());
        }
    }

    private final Map<String, Cell> cells = new LinkedHashMap<>();
    private final Map<String, Object> torch;
    private final Map<String, String> machine;
    private final Set<String> shapes = new LinkedHashSet<>();
    private final Set<String> threadShapes = new LinkedHashSet<>();
    private final Set<String> maskShapes = new LinkedHashSet<>();
    private final Set<String> kernels = new LinkedHashSet<>();
    private final Set<Integer> threadCounts = new LinkedHashSet<>();

    /**
     * {@code plan} holds the planned shapes ({@code shapes}, {@code threadShapes},
     * {@code maskShapes}), {@code kernels} and {@code threads}, so that a cell that failed shows
     * as missing, and a target over "every shape" is not judged on the shapes that happened to run.
     */
    Report(List<Cell> results, Map<String, Object> torch, Map<String, String> machine, Map<String, List<String>> plan) {
        this.torch = torch;
        this.machine = machine;
        shapes.addAll(plan.getOrDefault("shapes", List.of()));
        threadShapes.addAll(plan.getOrDefault("threadShapes", List.of()));
        maskShapes.addAll(plan.getOrDefault("maskShapes", List.of()));
        kernels.addAll(plan.getOrDefault("kernels", List.of()));
        for (String t : plan.getOrDefault("threads", List.of())) {
            if (!t.equals("1")) {
                threadCounts.add(Integer.parseInt(t));
            }
        }
        for (Cell c : results) {
            cells.put(key(c.name(), c.kernel(), c.mask(), c.shape(), c.threads()), c);
            if (c.kernel() != null) {
                kernels.add(c.kernel());
            }
            if (c.name().startsWith("mask:")) {
                maskShapes.add(c.shape());
            } else if (c.threads() == 1) {
                shapes.add(c.shape());
            } else {
                threadShapes.add(c.shape());
                threadCounts.add(c.threads());
            }
        }
    }

    private static String key(String name, String kernel, String mask, String shape, int threads) {
        return name + "|" + kernel + "|" + mask + "|" + shape + "|" + threads;
    }

    /** Median µs, NaN if not measured. */
    double us(String name, String kernel, String shape, int threads) {
        return us(name, kernel, null, shape, threads);
    }

    double us(String name, String kernel, String mask, String shape, int threads) {
        if (name.equals(TORCH)) {
            return torchUs(shape, threads);
        }
        Cell c = cells.get(key(name, kernel, mask, shape, threads));
        return c == null ? Double.NaN : c.medianUs();
    }

    @SuppressWarnings("unchecked")
    private double torchUs(String shape, int threads) {
        Object doc = torch.get(Integer.toString(threads));
        if (!(doc instanceof Map)) {
            return Double.NaN;
        }
        for (Map<String, Object> row : (List<Map<String, Object>>) ((Map<String, Object>) doc).get("rows")) {
            if (shape.equals(row.get("shape")) && "fwdbwd".equals(row.get("case")) && "soft".equals(row.get("labels"))
                    && ((Number) row.get("threads")).intValue() == threads) {
                return ((Number) row.get("median_us")).doubleValue();
            }
        }
        return Double.NaN;
    }

    @SuppressWarnings("unchecked")
    private String torchVersion() {
        for (Object doc : torch.values()) {
            if (doc instanceof Map) {
                Map<String, Object> m = (Map<String, Object>) ((Map<String, Object>) doc).get("machine");
                return "PyTorch " + m.get("torch_version") + " (CPU capability " + m.get("torch_cpu_capability") + ", "
                        + m.get("python_executable") + ")";
            }
        }
        return "PyTorch: " + torch.getOrDefault("error", "not run");
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(machine.get("cpu")).append(", ").append(machine.get("cores")).append(" cores; ")
                .append(machine.get("flags")).append(".  \n");
        sb.append("JDK: ").append(machine.get("java")).append(".  \n");
        sb.append("ND4J ").append(machine.get("nd4j")).append("; xent4j paths: ").append(machine.get("kernels")).append(".  \n");
        sb.append(torchVersion()).append(".  \n");
        sb.append("JMH: ").append(machine.get("jmh")).append("; float32, soft labels (dense rows that sum to 1); ")
                .append(machine.get("date")).append(", run took ").append(machine.get("elapsed")).append(".\n\n");
        if (machine.containsKey("failed")) {
            sb.append("**Cells without a result** (their entries show –): ").append(machine.get("failed")).append(".\n\n");
        }

        sb.append("**One thread**, µs (median). Ratios of the fused vector path's `computeGradientAndScore`:\n\n");
        List<String> head = new ArrayList<>(List.of("[N,K]", "floor (ND4J add)", "`LossMCXENT`"));
        kernels.forEach(k -> head.add("xent4j " + k));
        head.addAll(List.of("PyTorch fwd+bwd", "vector ÷ PyTorch", "vector ÷ MCXENT", "vector ÷ floor", "nd4j ÷ MCXENT"));
        table(sb, head);
        for (String s : shapes) {
            List<String> row = new ArrayList<>(List.of(nk(s), fmt(us(FLOOR, null, s, 1)), fmt(us(MCXENT, null, s, 1))));
            kernels.forEach(k -> row.add(fmt(us(CGS, k, s, 1))));
            row.add(fmt(us(TORCH, null, s, 1)));
            double v = us(CGS, "vector", s, 1);
            row.addAll(List.of(ratio(v, us(TORCH, null, s, 1)), ratio(v, us(MCXENT, null, s, 1)),
                    ratio(v, us(FLOOR, null, s, 1)), ratio(us(CGS, "nd4j", s, 1), us(MCXENT, null, s, 1))));
            row(sb, row);
        }

        sb.append("\n**SameDiff**, forward and backward (`calculateGradientsAndOutputs`, `SUM`), one thread, µs:\n\n");
        head.clear();
        head.addAll(List.of("[N,K]", "built-in `softmaxCrossEntropy`"));
        kernels.forEach(k -> head.addAll(List.of("xent4j op, " + k, "÷ `computeGradientAndScore`, " + k)));
        table(sb, head);
        for (String s : shapes) {
            List<String> row = new ArrayList<>(List.of(nk(s), fmt(us(SD_BUILTIN, null, s, 1))));
            kernels.forEach(k -> row.addAll(List.of(fmt(us(SD_OP, k, s, 1)), ratio(us(SD_OP, k, s, 1), us(CGS, k, s, 1)))));
            row(sb, row);
        }

        for (int t : threadCounts) {
            sb.append("\n**").append(t).append(" threads** (`OMP_NUM_THREADS=").append(t)
                    .append("`, ND4J's thread counts, PyTorch's `set_num_threads`), `computeGradientAndScore`, µs, 1 → ")
                    .append(t).append(" threads:\n\n");
            head.clear();
            head.add("[N,K]");
            kernels.forEach(k -> head.addAll(List.of("xent4j " + k, "speed-up")));
            head.addAll(List.of("`LossMCXENT`", "speed-up", "PyTorch fwd+bwd", "speed-up", "vector ÷ PyTorch, " + t + " threads"));
            table(sb, head);
            for (String s : threadShapes) {
                List<String> row = new ArrayList<>(List.of(nk(s)));
                for (String k : kernels) {
                    row.addAll(speedUp(CGS, k, s, t));
                }
                row.addAll(speedUp(MCXENT, null, s, t));
                row.addAll(speedUp(TORCH, null, s, t));
                row.add(ratio(us(CGS, "vector", s, t), us(TORCH, null, s, t)));
                row(sb, row);
            }
        }

        if (!maskShapes.isEmpty()) {
            sb.append("\n**Per-example mask** `[N,1]` (every ").append(Inputs.MASKED_EVERY)
                    .append("th row masked out), DL4J's call pattern `computeScore` then `computeGradient`, one thread, µs:\n\n");
            table(sb, List.of("[N,K]", "loss", "no mask", "mask", "mask ÷ no mask", "mask ÷ `LossMCXENT` with mask"));
            for (String s : maskShapes) {
                double mcMask = us(MASK_MCXENT, null, "perExample", s, 1);
                for (String k : kernels) {
                    double none = us(MASK_XENT, k, "none", s, 1);
                    double mask = us(MASK_XENT, k, "perExample", s, 1);
                    row(sb, List.of(nk(s), "xent4j " + k, fmt(none), fmt(mask), ratio(mask, none), ratio(mask, mcMask)));
                }
                double mcNone = us(MASK_MCXENT, null, "none", s, 1);
                row(sb, List.of(nk(s), "`LossMCXENT`", fmt(mcNone), fmt(mcMask), ratio(mcMask, mcNone), ""));
            }
        }

        sb.append("\n**Per-call cost**, one thread: the time at 128×10, the time per element at 1024×1000, and the "
                + "per-call overhead they imply at 128×10 (time − 1,280 elements × ns per element):\n\n");
        table(sb, List.of("call", "128×10 µs", "1024×1000 ns per element", "overhead at 128×10 µs"));
        for (String k : kernels) {
            row(sb, perCall("xent4j `computeGradientAndScore`, " + k, CGS, k));
        }
        for (String k : kernels) {
            row(sb, perCall("xent4j SameDiff op fwd+bwd, " + k, SD_OP, k));
        }
        row(sb, perCall("`LossMCXENT`", MCXENT, null));
        row(sb, perCall("PyTorch fwd+bwd", TORCH, null));

        sb.append("\n**Targets** (one thread unless said):\n\n");
        table(sb, List.of("target", "measured", "result"), false);
        for (String[] t : targets()) {
            row(sb, List.of(t));
        }
        return sb.toString();
    }

    private List<String> speedUp(String name, String kernel, String shape, int threads) {
        double one = us(name, kernel, shape, 1);
        double many = us(name, kernel, shape, threads);
        return List.of(fmt(one) + " → " + fmt(many), ratio(one, many));
    }

    private List<String> perCall(String title, String name, String kernel) {
        double small = us(name, kernel, "128x10", 1);
        double perElementNs = us(name, kernel, "1024x1000", 1) * 1000 / LARGE;
        return List.of(title, fmt(small), ratio(perElementNs),
                fmt(small - 1280 * perElementNs / 1000));
    }

    /** Rows {target, measured, result}. */
    List<String[]> targets() {
        List<String[]> t = new ArrayList<>();
        List<String> all = new ArrayList<>(shapes);
        List<String> large = new ArrayList<>();
        for (String s : shapes) {
            int[] nk = Inputs.shape(s);
            if ((long) nk[0] * nk[1] >= LARGE) {
                large.add(s);
            }
        }
        t.add(check("vector `computeGradientAndScore` ≤ 0.5 × PyTorch fwd+bwd, every shape", all,
                s -> us(CGS, "vector", s, 1) / us(TORCH, null, s, 1), 0.5, true));
        t.add(check("vector `computeGradientAndScore` ≤ 0.2 × `LossMCXENT`, every shape", all,
                s -> us(CGS, "vector", s, 1) / us(MCXENT, null, s, 1), 0.2, true));
        t.add(check("vector `computeGradientAndScore` ≤ 3.5 × floor at 4096×1000 and 256×32000",
                List.of("4096x1000", "256x32000"), s -> us(CGS, "vector", s, 1) / us(FLOOR, null, s, 1), 3.5, true));
        t.add(check("vector, 2 threads ≥ 1.7 × faster than 1 at 4096×1000", List.of("4096x1000"),
                s -> us(CGS, "vector", s, 1) / us(CGS, "vector", s, 2), 1.7, false));
        t.add(check("vector SameDiff op fwd+bwd ≤ 1.3 × `computeGradientAndScore` from 1024×1000 up", large,
                s -> us(SD_OP, "vector", s, 1) / us(CGS, "vector", s, 1), 1.3, true));
        t.add(check("nd4j `computeGradientAndScore` ≤ 0.5 × `LossMCXENT` at 128×10", List.of("128x10"),
                s -> us(CGS, "nd4j", s, 1) / us(MCXENT, null, s, 1), 0.5, true));
        t.add(info("nd4j path no slower than the previous release at the large shapes (nd4j ÷ `LossMCXENT`; "
                + "compare with the previous release's table)", large, s -> us(CGS, "nd4j", s, 1) / us(MCXENT, null, s, 1)));
        List<String> maskShapeList = new ArrayList<>(maskShapes);
        for (String k : List.of("nd4j", "vector")) {
            t.add(check(k + ", per-example mask ≤ 1.2 × no mask", maskShapeList,
                    s -> us(MASK_XENT, k, "perExample", s, 1) / us(MASK_XENT, k, "none", s, 1), 1.2, true));
            t.add(check(k + ", per-example mask ≤ `LossMCXENT` with the mask", maskShapeList,
                    s -> us(MASK_XENT, k, "perExample", s, 1) / us(MASK_MCXENT, null, "perExample", s, 1), 1.0, true));
        }
        return t;
    }

    interface Ratio {
        double of(String shape);
    }

    private static String[] check(String target, List<String> shapes, Ratio ratio, double bound, boolean atMost) {
        if (shapes.isEmpty()) {
            return new String[] {target, "", "not measured"};
        }
        List<String> values = new ArrayList<>();
        boolean measured = true;
        boolean met = true;
        for (String s : shapes) {
            double r = ratio.of(s);
            values.add(nk(s) + ": " + ratio(r));
            if (Double.isNaN(r)) {
                measured = false;
            } else if (atMost ? r > bound : r < bound) {
                met = false;
            }
        }
        String result = !met ? "**missed**" : measured ? "met" : "not measured";
        return new String[] {target, String.join(", ", values), result};
    }

    private static String[] info(String target, List<String> shapes, Ratio ratio) {
        List<String> values = new ArrayList<>();
        for (String s : shapes) {
            values.add(nk(s) + ": " + ratio(ratio.of(s)));
        }
        return new String[] {target, String.join(", ", values), "compare by hand"};
    }

    String json() throws JsonProcessingException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", machine);
        doc.put("torch", torchVersion());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Cell c : cells.values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("benchmark", c.name());
            row.put("kernel", c.kernel());
            row.put("mask", c.mask());
            row.put("shape", c.shape());
            row.put("threads", c.threads());
            row.put("median_us", c.medianUs());
            row.put("samples", c.samples());
            rows.add(row);
        }
        for (int t : List.of(1, 2)) {
            for (String s : t == 1 ? shapes : threadShapes) {
                double v = torchUs(s, t);
                if (!Double.isNaN(v)) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("benchmark", "torch fwd+bwd");
                    row.put("shape", s);
                    row.put("threads", t);
                    row.put("median_us", v);
                    rows.add(row);
                }
            }
        }
        doc.put("results", rows);
        List<Map<String, String>> targets = new ArrayList<>();
        for (String[] t : targets()) {
            targets.add(Map.of("target", t[0], "measured", t[1], "result", t[2]));
        }
        doc.put("targets", targets);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    }

    private static void table(StringBuilder sb, List<String> head) {
        table(sb, head, true);
    }

    /** A table head; every column after the first right-aligned if {@code numbers}. */
    private static void table(StringBuilder sb, List<String> head, boolean numbers) {
        row(sb, head);
        sb.append("|");
        for (int i = 0; i < head.size(); i++) {
            sb.append(i == 0 || !numbers ? " --- |" : " ---: |");
        }
        sb.append("\n");
    }

    private static void row(StringBuilder sb, List<String> cells) {
        sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private static String nk(String shape) {
        return shape.replace('x', '×');
    }

    static String fmt(double us) {
        return RunBenchmarks.fmt(us);
    }

    static String ratio(double a, double b) {
        return ratio(a / b);
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2f", r);
    }
}
