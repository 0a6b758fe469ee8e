package io.github.xent4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link XentBenchmark} and the allocation census, and writes {@code xent-bench.md} and
 * {@code xent-bench.json} (plus JMH's raw JSON) with every median as a ratio to the floor
 * measured in the same run.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@bench                                    # everything (~25 min)
 * mvn -q -B test-compile exec:exec@bench -Dbench.args="--quick --shapes 128x10,1024x1000 --threads 1"
 * }</pre>
 * Options: {@code --quick} (fewer, shorter iterations), {@code --shapes}, {@code --labels},
 * {@code --threads}, {@code --workspace inside,outside}, {@code --include <regex>} (benchmark
 * methods), {@code --out <dir>} (default {@code target/bench}), {@code --jvm-args "<args>"} (for
 * the forked benchmark JVMs, e.g. {@code -Dxent4j.fusedMaxElements=0} to force the lean path).
 */
public final class RunBenchmarks {
    private RunBenchmarks() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = parse(args);
        Path out = Path.of(opt.getOrDefault("out", "target/bench"));
        Files.createDirectories(out);
        boolean quick = opt.containsKey("quick");
        String[] shapes = opt.getOrDefault("shapes", "128x10,1024x1000,4096x1000,256x32000,64x128000").split(",");

        System.out.println("Allocation census (workspace bytes per call / (N*K*4)) ...");
        List<AllocationCensus.Row> census = AllocationCensus.run(shapes);

        ChainedOptionsBuilder jmh = new OptionsBuilder()
                .include(XentBenchmark.class.getName() + "." + opt.getOrDefault("include", ".*"))
                .param("shape", shapes)
                .param("labels", opt.getOrDefault("labels", "soft,onehot").split(","))
                .param("threads", opt.getOrDefault("threads", "1,2").split(","))
                .param("workspace", opt.getOrDefault("workspace", "inside").split(","))
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("jmh-raw.json").toString());
        if (opt.containsKey("jvm-args")) {
            jmh.jvmArgsAppend(opt.get("jvm-args").split(" "));
        }
        if (quick) {
            jmh.warmupIterations(2).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(500));
        }
        Collection<RunResult> results = new Runner(jmh.build()).run();

        System.setProperty("xent4j.bench.jvmArgs", opt.getOrDefault("jvm-args", ""));
        Report report = Report.of(results, census);
        write(out.resolve("xent-bench.md"), report.markdown(machine()));
        write(out.resolve("xent-bench.json"), report.json(machine()));
        System.out.println(report.markdown(machine()));
        System.out.println("Wrote " + out.resolve("xent-bench.md") + " and " + out.resolve("xent-bench.json"));
    }

    static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("cpu", cpuModel());
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("nd4j", "1.0.0-M2.1, nd4j-native classifier " + System.getProperty("nd4j.native.classifier", "(see pom)"));
        m.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        m.put("jvm_args", String.valueOf(System.getProperty("xent4j.bench.jvmArgs", "")));
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** Writes through a temporary file and an atomic rename, so a crash never leaves half a report. */
    static void write(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            if (key.equals("quick")) {
                m.put(key, "true");
            } else if (i + 1 < args.length) {
                m.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("option --" + key + " needs a value");
            }
        }
        return m;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    static List<String> list(String... s) {
        return new ArrayList<>(List.of(s));
    }
}
