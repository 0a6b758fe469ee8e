package io.github.xent4j.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.openjdk.jmh.results.RunResult;

/** Benchmark medians grouped by parameters, as ratios to the floor of the same group. */
final class Report {
    /** Benchmark methods in table order, with their column titles. */
    static final Map<String, String> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("xentComputeScore", "xent4j computeScore");
        COLUMNS.put("xentComputeGradient", "xent4j computeGradient");
        COLUMNS.put("xentComputeGradientAndScore", "xent4j computeGradientAndScore");
        COLUMNS.put("sameDiffOpForwardBackward", "xent4j SameDiff op fwd+bwd");
        COLUMNS.put("sameDiffOpGradient", "xent4j SameDiff op gradient (fit)");
        COLUMNS.put("mcxentComputeGradientAndScore", "LossMCXENT computeGradientAndScore");
        COLUMNS.put("sameDiffBuiltinForwardBackward", "SameDiff built-in fwd+bwd");
    }

    /** One parameter combination. */
    static final class Group {
        final String shape;
        final String labels;
        final int threads;
        final String workspace;
        double floorUs = Double.NaN;
        final Map<String, Double> medianUs = new LinkedHashMap<>();

        Group(String shape, String labels, int threads, String workspace) {
            this.shape = shape;
            this.labels = labels;
            this.threads = threads;
            this.workspace = workspace;
        }

        double ratio(String method) {
            Double m = medianUs.get(method);
            return m == null ? Double.NaN : m / floorUs;
        }
    }

    final List<Group> groups = new ArrayList<>();
    final List<AllocationCensus.Row> census;

    private Report(List<AllocationCensus.Row> census) {
        this.census = census;
    }

    static Report of(Collection<RunResult> results, List<AllocationCensus.Row> census) {
        Report r = new Report(census);
        Map<String, Group> byKey = new LinkedHashMap<>();
        for (RunResult rr : results) {
            var params = rr.getParams();
            String key = params.getParam("shape") + "|" + params.getParam("labels") + "|" + params.getParam("threads")
                    + "|" + params.getParam("workspace");
            Group g = byKey.computeIfAbsent(key, k -> new Group(params.getParam("shape"), params.getParam("labels"),
                    Integer.parseInt(params.getParam("threads")), params.getParam("workspace")));
            String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
            double median = rr.getPrimaryResult().getStatistics().getPercentile(50);
            if (method.equals("floor")) {
                g.floorUs = median;
            } else {
                g.medianUs.put(method, median);
            }
        }
        r.groups.addAll(byKey.values());
        return r;
    }

    String markdown(Map<String, String> machine) {
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(machine.get("cpu")).append(", ").append(machine.get("cores")).append(" cores, ")
                .append(machine.get("java")).append(", ND4J ").append(machine.get("nd4j")).append(", ")
                .append(machine.get("date")).append(".\n");
        sb.append("Median of JMH samples (SampleTime), float32; each cell: microseconds (ratio to the floor of its row).\n\n");
        sb.append("| [N,K] | labels | threads | workspace | floor µs");
        for (String title : COLUMNS.values()) {
            sb.append(" | ").append(title);
        }
        sb.append(" | gradient+score vs LossMCXENT |\n|---|---|---|---|---");
        for (int i = 0; i <= COLUMNS.size(); i++) {
            sb.append("|---");
        }
        sb.append("|\n");
        for (Group g : groups) {
            sb.append("| ").append(g.shape).append(" | ").append(g.labels).append(" | ").append(g.threads).append(" | ")
                    .append(g.workspace).append(" | ").append(RunBenchmarks.fmt(g.floorUs));
            for (String method : COLUMNS.keySet()) {
                Double m = g.medianUs.get(method);
                sb.append(" | ").append(m == null ? "" : RunBenchmarks.fmt(m) + " (×" + RunBenchmarks.fmt(g.ratio(method)) + ")");
            }
            Double ours = g.medianUs.get("xentComputeGradientAndScore");
            Double theirs = g.medianUs.get("mcxentComputeGradientAndScore");
            sb.append(" | ").append(ours == null || theirs == null ? "" : RunBenchmarks.fmt(ours / theirs)).append(" |\n");
        }
        if (!census.isEmpty()) {
            sb.append("\nAllocations per call, in float32 [N,K]-array equivalents (workspace bytes / (4·N·K)):\n\n| [N,K]");
            for (String call : census.get(0).arrays.keySet()) {
                sb.append(" | ").append(call);
            }
            sb.append(" |\n|---");
            census.get(0).arrays.keySet().forEach(c -> sb.append("|---"));
            sb.append("|\n");
            for (AllocationCensus.Row row : census) {
                sb.append("| ").append(row.shape);
                row.arrays.values().forEach(v -> sb.append(" | ").append(String.format(java.util.Locale.ROOT, "%.2f", v)));
                sb.append(" |\n");
            }
        }
        return sb.toString();
    }

    String json(Map<String, String> machine) throws JsonProcessingException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("machine", machine);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Group g : groups) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("shape", g.shape);
            row.put("labels", g.labels);
            row.put("threads", g.threads);
            row.put("workspace", g.workspace);
            row.put("floor_us", g.floorUs);
            Map<String, Object> benches = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : g.medianUs.entrySet()) {
                benches.put(e.getKey(), Map.of("median_us", e.getValue(), "ratio_to_floor", g.ratio(e.getKey())));
            }
            row.put("benchmarks", benches);
            rows.add(row);
        }
        doc.put("results", rows);
        List<Map<String, Object>> alloc = new ArrayList<>();
        for (AllocationCensus.Row r : census) {
            alloc.add(Map.of("shape", r.shape, "nk_arrays_per_call", r.arrays));
        }
        doc.put("allocations", alloc);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    }
}
