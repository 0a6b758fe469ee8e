package io.github.xent4j.bench;

import io.github.xent4j.BenchKernels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * One benchmark run: PyTorch's forward and backward ({@code src/jmh/python/torch_xent_bench.py}),
 * then {@link XentBenchmark} on each kernel path, {@link BaselineBenchmark} and
 * {@link MaskBenchmark}, one thread and two, each fork started with {@code -Dxent4j.kernel} and
 * {@code OMP_NUM_THREADS} of its cell. Writes {@code xent-bench.md} (the tables, ratios and
 * targets; printed too) and {@code xent-bench.json}, plus JMH's and the script's raw results.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@bench                                     # the whole run (about 10 min)
 * mvn -q -B test-compile exec:exec@bench -Dbench.args="--smoke --shapes 128x10 --thread-shapes 128x10 --mask-shapes 40x14"
 * }</pre>
 * Options (defaults in brackets):
 * {@code --shapes} [128x10,1024x1000,4096x1000,256x32000,64x128000];
 * {@code --thread-shapes} (the 2-thread cells) [the same];
 * {@code --mask-shapes} [40x14,1024x1000] ({@code none} skips them); {@code --threads} [1,2];
 * {@code --kernels} [nd4j,vector]; {@code --include REGEX} (benchmark methods whose name it finds:
 * {@code computeGradientAndScore}, {@code sameDiffOpForwardBackward}, {@code floor},
 * {@code mcxentComputeGradientAndScore}, {@code sameDiffBuiltinForwardBackward},
 * {@code scoreThenGradient}) [all]; {@code --forks} [1]; {@code --warmup} [4x0.75] and
 * {@code --measure} [5x0.5] (iterations x seconds); {@code --smoke} (0 warm-up iterations and
 * 1 x 0.1 s, PyTorch's {@code --quick}); {@code --torch run|off} [run]; {@code --torch-from DIR}
 * (reuse the PyTorch results of an earlier run's output directory instead of running it);
 * {@code --python} [/usr/bin/python3]; {@code --jvm-args "<args>"} (for every fork);
 * {@code --out DIR} [target/bench]; {@code --dry-run} (print the plan and stop).
 *
 * <p>The forks need {@code --add-modules jdk.incubator.vector} (the benchmark classes add it) and
 * the Java 17 classes {@code target/classes/META-INF/versions/17} on the class path, which they
 * inherit from this JVM: the {@code bench} execution in the pom puts them there.
 */
public final class RunBenchmarks {
    static final String DEFAULT_SHAPES = "128x10,1024x1000,4096x1000,256x32000,64x128000";
    /** Assumed JVM start, ND4J load and setup per fork, for the time estimate printed up front. */
    private static final double FORK_OVERHEAD_S = 4.0;

    private RunBenchmarks() {
    }

    /** One JMH invocation: the benchmarks of one kernel (or the baselines) at one thread count. */
    record Run(String title, String include, String kernel, int threads, Map<String, String[]> params) {
        int forks() {
            int n = Pattern.compile("\\|").split(include).length;
            for (String[] values : params.values()) {
                n *= values.length;
            }
            return n;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = parse(args);
        Instant start = Instant.now();
        Path out = Path.of(opt.getOrDefault("out", "target/bench"));
        Files.createDirectories(out);
        boolean smoke = opt.containsKey("smoke");
        List<String> shapes = list(opt.getOrDefault("shapes", DEFAULT_SHAPES));
        List<String> threadShapes = list(opt.getOrDefault("thread-shapes", DEFAULT_SHAPES));
        List<String> maskShapes = list(opt.getOrDefault("mask-shapes", "40x14,1024x1000"));
        List<Integer> threads = list(opt.getOrDefault("threads", "1,2")).stream().map(Integer::parseInt).toList();
        List<String> kernels = list(opt.getOrDefault("kernels", "nd4j,vector"));
        double[] warmup = iterations(opt.getOrDefault("warmup", smoke ? "0x0.1" : "4x0.75"));
        double[] measure = iterations(opt.getOrDefault("measure", smoke ? "1x0.1" : "5x0.5"));
        int forks = Integer.parseInt(opt.getOrDefault("forks", "1"));

        Map<String, String> available = BenchKernels.available();
        for (String k : kernels) {
            if (!available.containsKey(k)) {
                throw new IllegalStateException("kernel " + k + " cannot run in this JVM (available: " + available.keySet()
                        + "); the vector path needs --add-modules jdk.incubator.vector and "
                        + "target/classes/META-INF/versions/17 on the class path (mvn exec:exec@bench sets both)");
            }
        }

        Pattern include = Pattern.compile(opt.getOrDefault("include", ""));
        List<Run> runs = plan(shapes, threadShapes, maskShapes, threads, kernels, include);
        int forkCount = runs.stream().mapToInt(Run::forks).sum() * forks;
        double perFork = FORK_OVERHEAD_S + warmup[0] * warmup[1] + measure[0] * measure[1];
        System.out.printf(Locale.ROOT, "Plan: %d JMH runs, %d forks, about %.1f min of JMH at %.0f s per fork, plus PyTorch.%n",
                runs.size(), forkCount, forkCount * perFork / 60, perFork);
        if (opt.containsKey("dry-run")) {
            runs.forEach(r -> System.out.println("  " + r.title() + ": " + r.forks() * forks + " forks, " + r.include()));
            return;
        }

        Map<String, Object> torch = torch(opt, out, shapes, threadShapes, threads, smoke);

        Map<String, String> machine = machine(available);
        machine.put("jmh", String.format(Locale.ROOT, "%d fork(s); warm-up %s; measurement %s; SampleTime medians",
                forks, describe(warmup), describe(measure)));
        List<Report.Cell> cells = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, List<String>> planned = new LinkedHashMap<>();
        planned.put("shapes", threads.contains(1) ? shapes : List.of());
        planned.put("threadShapes", threads.stream().anyMatch(t -> t != 1) ? threadShapes : List.of());
        planned.put("maskShapes", threads.contains(1) ? maskShapes : List.of());
        planned.put("kernels", kernels);
        planned.put("threads", threads.stream().map(String::valueOf).toList());
        Path jvm = Path.of(System.getProperty("java.home"), "bin", "java");
        String[] extraJvmArgs = opt.containsKey("jvm-args") ? opt.get("jvm-args").trim().split("\\s+") : new String[0];
        for (Run run : runs) {
            System.out.println("== " + run.title() + " (" + run.forks() * forks + " forks)");
            ChainedOptionsBuilder jmh = new OptionsBuilder()
                    .include(run.include())
                    .forks(forks)
                    .warmupIterations((int) warmup[0]).warmupTime(seconds(warmup[1]))
                    .measurementIterations((int) measure[0]).measurementTime(seconds(measure[1]))
                    .jvm(threadsWrapper(out, jvm, run.threads()))
                    // a failing cell must not cost the others: it is missing from the report, which says so
                    .shouldFailOnError(false)
                    .resultFormat(ResultFormatType.JSON)
                    .result(out.resolve("jmh-" + slug(run.title()) + ".json").toString());
            run.params().forEach(jmh::param);
            List<String> prepend = new ArrayList<>(Arrays.asList(extraJvmArgs));
            // the forks load the same libnd4j build as this JVM (see native-backends.md)
            String extension = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
            if (!extension.isEmpty()) {
                prepend.add("-Dorg.bytedeco.javacpp.platform.extension=" + extension);
            }
            if (run.kernel() != null) {
                prepend.add("-Dxent4j.kernel=" + run.kernel());
            }
            if (!prepend.isEmpty()) {
                jmh.jvmArgsPrepend(prepend.toArray(new String[0]));
            }
            int got = 0;
            for (RunResult r : new Runner(jmh.build()).run()) {
                cells.add(Report.Cell.of(r));
                got++;
            }
            if (got < run.forks()) {
                missing.add(run.title() + ": " + (run.forks() - got) + " of " + run.forks() + " cells failed (see the log)");
                System.out.println("WARNING: " + missing.get(missing.size() - 1));
            }
            // the report so far, so that an interrupted run still leaves its tables
            writeReport(out, cells, torch, machine, planned, missing, start);
        }

        String md = writeReport(out, cells, torch, machine, planned, missing, start);
        System.out.println();
        System.out.println(md);
        System.out.println("Wrote " + out.resolve("xent-bench.md") + " and " + out.resolve("xent-bench.json")
                + " in " + machine.get("elapsed"));
    }

    private static String writeReport(Path out, List<Report.Cell> cells, Map<String, Object> torch, Map<String, String> machine,
                                      Map<String, List<String>> plan, List<String> missing, Instant start) throws IOException {
        machine.put("elapsed", Duration.between(start, Instant.now()).toSeconds() + " s");
        if (!missing.isEmpty()) {
            machine.put("failed", String.join("; ", missing));
        }
        Report report = new Report(cells, torch, machine, plan);
        String md = report.markdown();
        write(out.resolve("xent-bench.md"), md);
        write(out.resolve("xent-bench.json"), report.json());
        return md;
    }

    /**
     * The JMH invocations: each kernel and the baselines, at each thread count, then the mask
     * cells; only the benchmark methods whose name {@code include} finds.
     */
    static List<Run> plan(List<String> shapes, List<String> threadShapes, List<String> maskShapes,
                          List<Integer> threads, List<String> kernels, Pattern include) {
        String xent = XentBenchmark.class.getName();
        String base = BaselineBenchmark.class.getName();
        String mask = MaskBenchmark.class.getName();
        List<Run> runs = new ArrayList<>();
        for (int t : threads) {
            boolean one = t == 1;
            List<String> s = one ? shapes : threadShapes;
            String[] sa = s.toArray(new String[0]);
            String[] ta = {Integer.toString(t)};
            for (String k : kernels) {
                add(runs, "xent4j " + k + ", " + t + " thread(s)", one
                        ? methods(include, xent, "computeGradientAndScore", "sameDiffOpForwardBackward")
                        : methods(include, xent, "computeGradientAndScore"),
                        k, t, params("kernel", new String[] {k}, "shape", sa, "threads", ta));
            }
            add(runs, "baselines, " + t + " thread(s)", one
                    ? methods(include, base, "floor", "mcxentComputeGradientAndScore", "sameDiffBuiltinForwardBackward")
                    : methods(include, base, "mcxentComputeGradientAndScore"),
                    null, t, params("shape", sa, "threads", ta));
        }
        if (threads.contains(1)) {
            String[] ma = maskShapes.toArray(new String[0]);
            String[] masks = {"none", "perExample"};
            String[] one = {"1"};
            for (String k : kernels) {
                add(runs, "mask, xent4j " + k, methods(include, mask, "scoreThenGradient"), k, 1,
                        params("loss", new String[] {"xent4j"}, "kernel", new String[] {k}, "mask", masks, "shape", ma,
                                "threads", one));
            }
            add(runs, "mask, LossMCXENT", methods(include, mask, "scoreThenGradient"), null, 1,
                    params("loss", new String[] {"mcxent"}, "mask", masks, "shape", ma, "threads", one));
        }
        return runs;
    }

    private static void add(List<Run> runs, String title, String include, String kernel, int threads,
                            Map<String, String[]> params) {
        if (include != null && params.get("shape").length > 0) {
            runs.add(new Run(title, include, kernel, threads, params));
        }
    }

    /** A JMH include pattern for those of {@code names} that {@code include} finds, null if none. */
    private static String methods(Pattern include, String cls, String... names) {
        List<String> parts = new ArrayList<>();
        for (String n : names) {
            if (include.matcher(n).find()) {
                parts.add("^" + Pattern.quote(cls + "." + n) + "$");
            }
        }
        return parts.isEmpty() ? null : String.join("|", parts);
    }

    private static Map<String, String[]> params(Object... kv) {
        Map<String, String[]> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (String[]) kv[i + 1]);
        }
        return m;
    }

    /**
     * A launcher that starts {@code jvm} with {@code OMP_NUM_THREADS} (and MKL's and OpenBLAS's
     * counts) set to {@code threads}: JMH forks inherit this JVM's environment and cannot set
     * one, and libnd4j's OpenMP regions follow only the environment.
     */
    static String threadsWrapper(Path out, Path jvm, int threads) throws IOException {
        if (System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows")) {
            throw new IllegalStateException("the forks' OMP_NUM_THREADS is set through a POSIX shell launcher; "
                    + "on Windows run JMH directly with OMP_NUM_THREADS set");
        }
        Path script = out.resolve("java-threads-" + threads + ".sh").toAbsolutePath();
        String n = Integer.toString(threads);
        write(script, "#!/bin/sh\n# written by RunBenchmarks: the forks' thread count for OpenMP, MKL and OpenBLAS\n"
                + "OMP_NUM_THREADS=" + n + " MKL_NUM_THREADS=" + n + " OPENBLAS_NUM_THREADS=" + n + " exec '"
                + jvm.toAbsolutePath() + "' \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script.toString();
    }

    /**
     * Runs the PyTorch script once per thread count with the same shapes (or reads an earlier
     * run's results): returns its parsed JSON documents by thread count, or an {@code error}.
     */
    static Map<String, Object> torch(Map<String, String> opt, Path out, List<String> shapes, List<String> threadShapes,
                                     List<Integer> threads, boolean smoke) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        String mode = opt.getOrDefault("torch", "run");
        if (mode.equals("off")) {
            result.put("error", "not run (--torch off)");
            return result;
        }
        if (!mode.equals("run")) {
            throw new IllegalArgumentException("--torch must be run or off, got '" + mode + "'");
        }
        Path from = opt.containsKey("torch-from") ? Path.of(opt.get("torch-from")) : null;
        for (int t : threads) {
            List<String> s = t == 1 ? shapes : threadShapes;
            if (s.isEmpty()) {
                continue;
            }
            Path dir = (from != null ? from : out).resolve("torch-t" + t);
            if (from == null) {
                List<String> cmd = new ArrayList<>(List.of(opt.getOrDefault("python", "/usr/bin/python3"),
                        "src/jmh/python/torch_xent_bench.py", "--shapes", String.join(",", s), "--threads", Integer.toString(t),
                        "--labels", "soft", "--cases", "fwdbwd,floor", "--out", dir.toString()));
                cmd.addAll(smoke ? List.of("--quick")
                        : List.of("--samples", "20", "--rounds", "2", "--warmup", "0.5", "--min-sample-ms", "5",
                                "--max-wait", "5", "--max-total-wait", "60"));
                System.out.println("== PyTorch, " + t + " thread(s): " + String.join(" ", cmd));
                ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
                pb.environment().put("OMP_NUM_THREADS", Integer.toString(t));
                pb.environment().put("MKL_NUM_THREADS", Integer.toString(t));
                int rc;
                try {
                    Process p = pb.start();
                    if (!p.waitFor(10, TimeUnit.MINUTES)) {
                        p.destroyForcibly();
                        rc = -1;
                    } else {
                        rc = p.exitValue();
                    }
                } catch (IOException e) {
                    result.put("error", "not run: " + e.getMessage());
                    return result;
                }
                if (rc != 0) {
                    // The JVM part is still worth having: report PyTorch as missing rather than stop.
                    System.out.println("WARNING: the PyTorch script failed (exit " + rc + "); the report has no PyTorch column");
                    result.put("error", "the script failed (exit " + rc + "; is python3-torch installed?)");
                    return result;
                }
            }
            Path json = dir.resolve("torch_xent.json");
            if (!Files.exists(json)) {
                result.put("error", "no " + json);
                return result;
            }
            result.put(Integer.toString(t), new org.nd4j.shade.jackson.databind.ObjectMapper().readValue(json.toFile(), Map.class));
        }
        return result;
    }

    static Map<String, String> machine() {
        return machine(Map.of());
    }

    static Map<String, String> machine(Map<String, String> kernels) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("cpu", cpuModel());
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("flags", cpuFlags("avx2", "avx512f", "fma"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.home") + ")");
        m.put("nd4j", "1.0.0-M2.1, " + nativeJars());
        if (!kernels.isEmpty()) {
            m.put("kernels", kernels.toString());
        }
        m.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        return m;
    }

    private static String cpuModel() {
        for (String line : cpuinfo()) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return System.getProperty("os.arch");
    }

    /** {@code avx2 yes, avx512f no, ...} from the first CPU's flags. */
    static String cpuFlags(String... wanted) {
        List<String> flags = List.of();
        for (String line : cpuinfo()) {
            if (line.startsWith("flags")) {
                flags = Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                break;
            }
        }
        if (flags.isEmpty()) {
            return "unknown (no /proc/cpuinfo)";
        }
        List<String> parts = new ArrayList<>();
        for (String f : wanted) {
            parts.add(f + " " + (flags.contains(f) ? "yes" : "no"));
        }
        return String.join(", ", parts);
    }

    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException e) {
            return List.of();   // not Linux
        }
    }

    /** The classifier of the nd4j-native jar on the class path: the libnd4j build (e.g. linux-x86_64-avx2). */
    private static String nativeJars() {
        List<String> classifiers = new ArrayList<>();
        String prefix = "nd4j-native-1.0.0-M2.1-";
        for (String entry : System.getProperty("java.class.path").split(Pattern.quote(File.pathSeparator))) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith(prefix) && name.endsWith(".jar")) {
                classifiers.add(name.substring(prefix.length(), name.length() - ".jar".length()));
            }
        }
        return classifiers.isEmpty() ? "nd4j-native (no platform jar found on the class path)"
                : "nd4j-native " + String.join(", ", classifiers);
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
            if (key.equals("smoke") || key.equals("dry-run")) {
                m.put(key, "true");
            } else if (i + 1 < args.length) {
                m.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("option --" + key + " needs a value");
            }
        }
        return m;
    }

    /** A comma list; {@code none} or empty is the empty list. */
    static List<String> list(String csv) {
        List<String> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank() && !s.trim().equals("none")) {
                out.add(s.trim());
            }
        }
        return out;
    }

    /** {@code "3x0.5"}: 3 iterations of 0.5 s. */
    private static double[] iterations(String spec) {
        String[] p = spec.split("x");
        if (p.length != 2) {
            throw new IllegalArgumentException("iterations must be COUNTxSECONDS, e.g. 5x0.5, got '" + spec + "'");
        }
        return new double[] {Integer.parseInt(p[0]), Double.parseDouble(p[1])};
    }

    private static String describe(double[] it) {
        return String.format(Locale.ROOT, "%d x %s s", (int) it[0], fmt(it[1]));
    }

    private static TimeValue seconds(double s) {
        return TimeValue.milliseconds(Math.max(1, Math.round(s * 1000)));
    }

    private static String slug(String title) {
        return title.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "");
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }
}
