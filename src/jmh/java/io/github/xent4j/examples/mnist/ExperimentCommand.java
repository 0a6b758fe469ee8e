package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code mnist experiment NAME}: reruns the measurements behind the tables of
 * {@code src/site/markdown/examples.md} in one JVM, printing each table as Markdown and writing
 * every number to {@code --out}.
 *
 * <ul>
 *   <li>{@code accuracy}: MLP and LeNet, {@code xent4j} and {@code mcxent}, over seeds.</li>
 *   <li>{@code distill}: the student on hard labels alone ({@code --alpha 0}) and distilled from
 *       the LeNet teacher, over seeds, with the paired difference.</li>
 *   <li>{@code throughput}: examples/s of the same network with each loss, runs alternated
 *       (ABBA) after a warm-up, medians and their ratio.</li>
 *   <li>{@code threads}: examples/s with 1 and 2 native threads, alternated likewise.</li>
 * </ul>
 * The nd4j-native variant table needs one JVM per variant: {@code src/examples/scripts/variants.sh}.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reruns the measurements of the examples page and prints them as Markdown tables: accuracy, distill, "
                + "throughput, threads. (The native-variant table: src/examples/scripts/variants.sh.)",
                "Example: experiment distill --seeds 1,2,3"})
final class ExperimentCommand extends MnistApp.PrintingCommand {

    enum Name { ACCURACY, DISTILL, THROUGHPUT, THREADS }

    @Parameters(index = "0", paramLabel = "NAME", description = "accuracy, distill, throughput or threads.")
    Name name;

    @Option(names = "--seeds", paramLabel = "S,...", split = ",",
            description = "Seeds (default: 42 for accuracy, 1,2,3 for distill).")
    long[] seeds;

    @Option(names = "--models", paramLabel = "M,...", split = ",",
            description = "accuracy: models (default: mlp,lenet); throughput, threads: the first one (default: mlp).")
    TrainConfig.ModelKind[] models;

    @Option(names = "--losses", paramLabel = "L,...", split = ",", defaultValue = "xent4j,mcxent",
            description = "accuracy: losses (default: ${DEFAULT-VALUE}).")
    TrainConfig.LossKind[] losses;

    @Option(names = "--epochs", paramLabel = "N",
            description = "Epochs per run (default: the model's default for accuracy and distill, 1 for throughput "
                    + "and threads).")
    Integer epochs;

    @Option(names = "--train-limit", paramLabel = "N",
            description = "Training examples per run (default: all; distill: 10000, the student's transfer set).")
    Integer trainLimit;

    @Option(names = "--lr-decay", paramLabel = "GAMMA",
            description = "Learning-rate factor per epoch (default: 0.8; distill: 1, a constant rate).")
    Double lrDecay;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "4",
            description = "throughput, threads: alternating rounds after the warm-up (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--teacher", paramLabel = "FILE", defaultValue = "target/mnist/lenet.zip",
            description = "distill: the teacher; trained (train --model lenet, seed 42) if missing (default: "
                    + "${DEFAULT-VALUE}).")
    Path teacher;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "4",
            description = "distill: temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.9",
            description = "distill: weight of the soft term (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--student-hidden", paramLabel = "H", defaultValue = "" + DistillCommand.DEFAULT_HIDDEN,
            description = "distill: the student's hidden width (default: ${DEFAULT-VALUE}).")
    int studentHidden;

    /** The distill experiment's defaults: a transfer set small enough that the hard-label student overfits. */
    static final int DISTILL_TRAIN_LIMIT = 10_000;
    static final int DISTILL_EPOCHS = 40;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Where to write the results as JSON (default: target/experiments/<name>.json).")
    Path outFile;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads for ND4J's native ops (default: " + Runs.DEFAULT_THREADS_TEXT + ").")
    Integer threads;


    @Override
    public Integer call() throws Exception {
        Runs.applyThreads(threads);
        long start = System.nanoTime();
        Map<String, Object> results = switch (name) {
            case ACCURACY -> accuracy();
            case DISTILL -> distill();
            case THROUGHPUT -> throughput();
            case THREADS -> threadsExperiment();
        };
        double minutes = (System.nanoTime() - start) / 60e9;
        results.put("wall_minutes", minutes);
        results.put("environment", NativeSettings.describe());
        Path file = outFile != null ? outFile : Path.of("target", "experiments",
                name.name().toLowerCase(Locale.ROOT) + ".json");
        AtomicFiles.writeString(file, Json.write(results));
        out.printf(Locale.ROOT, "%n(%.1f minutes; results in %s)%n", minutes, file);
        return 0;
    }

    private TrainConfig config(TrainConfig.ModelKind model, TrainConfig.LossKind loss, long seed, int nEpochs) {
        boolean student = model == TrainConfig.ModelKind.STUDENT;
        int limit = trainLimit != null ? trainLimit : student ? DISTILL_TRAIN_LIMIT : 0;
        double decay = lrDecay != null ? lrDecay : student ? 1.0 : 0.8;
        return new TrainConfig(model, loss, "dl4j", ImageDataset.MNIST, nEpochs, 128, 0.001, decay, seed, 0, 1,
                student ? studentHidden : 0, limit, 0, null);
    }

    private Trainer.Result quiet(String command, TrainConfig c, Trainer.Data data) throws IOException {
        return Trainer.run(command, c, data, new Trainer.Options(null, false, Progress.Mode.NONE,
                new PrintStream(PrintStream.nullOutputStream()), err, null));
    }

    // ---------------------------------------------------------------- accuracy

    private Map<String, Object> accuracy() throws IOException {
        long[] s = seeds != null ? seeds : new long[]{42};
        TrainConfig.ModelKind[] ms = models != null ? models
                : new TrainConfig.ModelKind[]{TrainConfig.ModelKind.MLP, TrainConfig.ModelKind.LENET};
        List<Map<String, Object>> rows = new ArrayList<>();
        out.println("| model | loss | epochs | seeds | test accuracy (mean ± sd) | per seed | train s (mean) | examples/s (mean) |");
        out.println("| --- | --- | ---: | --- | ---: | --- | ---: | ---: |");
        Trainer.Data data = null;
        for (TrainConfig.ModelKind m : ms) {
            int e = epochs != null ? epochs : TrainCommand.defaultEpochs(m);
            for (TrainConfig.LossKind l : losses) {
                List<Double> acc = new ArrayList<>();
                List<Double> secs = new ArrayList<>();
                List<Double> speed = new ArrayList<>();
                for (long seed : s) {
                    TrainConfig c = config(m, l, seed, e);
                    if (data == null) {
                        data = Runs.loadData(c);
                    }
                    Trainer.Result r = quiet("train", c, data);
                    err.printf(Locale.ROOT, "  %s: %.2f%%%n", c.describe(), 100 * r.testAccuracy());
                    acc.add(r.testAccuracy());
                    secs.add(r.trainSeconds());
                    speed.add(r.examplesPerSecond());
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", m.id());
                row.put("loss", l.id());
                row.put("epochs", e);
                row.put("seeds", s);
                row.put("test_accuracy", acc);
                row.put("train_seconds", secs);
                row.put("examples_per_second", speed);
                rows.add(row);
                out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %.0f | %,.0f |%n", m.id(), l.id(), e,
                        seedList(s), pct(acc), perSeed(acc), mean(secs), mean(speed));
                out.flush();
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experiment", "accuracy");
        m.put("rows", rows);
        return m;
    }

    // ---------------------------------------------------------------- distill

    private Map<String, Object> distill() throws IOException {
        long[] s = seeds != null ? seeds : new long[]{1, 2, 3};
        int e = epochs != null ? epochs : DISTILL_EPOCHS;
        TrainConfig probe = config(TrainConfig.ModelKind.STUDENT, TrainConfig.LossKind.XENT4J, s[0], e);
        Trainer.Data plain = Runs.loadData(probe);
        if (!Files.isRegularFile(teacher)) {
            err.println("no teacher at " + teacher + "; training it: train --model lenet --seed 42 --output " + teacher);
            TrainConfig t = new TrainConfig(TrainConfig.ModelKind.LENET, TrainConfig.LossKind.XENT4J, "dl4j",
                    ImageDataset.MNIST, TrainCommand.defaultEpochs(TrainConfig.ModelKind.LENET), 128, 0.001, 0.8, 42, 0, 1,
                    0, 0, 0, null);
            // the teacher sees all 60,000 examples, whatever the student's transfer set
            Trainer.run("train", t, Runs.loadData(t), new Trainer.Options(teacher, false, Progress.Mode.LINES,
                    err, err, null));
        }
        MultiLayerNetwork teacherNet = DistillCommand.loadTeacher(teacher, probe);
        double teacherAcc = Trainer.evaluate(new Dl4jEngine.Multi(teacherNet), plain.test()).accuracy();
        INDArray q = DistillCommand.softTargets(teacherNet, plain.train(), temperature);
        INDArray soft = DistillCommand.distillationLabels(q, plain.train(), alpha);
        INDArray hard = DistillCommand.distillationLabels(q, plain.train(), 0);

        out.printf(Locale.ROOT, "teacher %s: test accuracy %.2f%%; student 784-%d-10 on the first %,d training "
                        + "examples, %d epochs, lr %s x%s/epoch, T = %s, alpha = %s%n%n", teacher, 100 * teacherAcc,
                studentHidden, plain.train().numExamples(), e, probe.learningRate(), probe.lrDecay(), temperature,
                alpha);
        out.println("| seed | hard labels only (alpha = 0) | distilled | difference |");
        out.println("| ---: | ---: | ---: | ---: |");
        List<Double> base = new ArrayList<>();
        List<Double> dist = new ArrayList<>();
        for (long seed : s) {
            TrainConfig b = withDistillation(config(TrainConfig.ModelKind.STUDENT, TrainConfig.LossKind.XENT4J, seed, e), 0);
            TrainConfig d = withDistillation(config(TrainConfig.ModelKind.STUDENT, TrainConfig.LossKind.XENT4J, seed, e),
                    alpha);
            double ab = quiet("distill", b, new Trainer.Data(plain.train(), plain.test(), hard)).testAccuracy();
            double ad = quiet("distill", d, new Trainer.Data(plain.train(), plain.test(), soft)).testAccuracy();
            base.add(ab);
            dist.add(ad);
            out.printf(Locale.ROOT, "| %d | %.2f%% | %.2f%% | %+.2f |%n", seed, 100 * ab, 100 * ad, 100 * (ad - ab));
            out.flush();
        }
        double[] diff = new double[s.length];
        Arrays.setAll(diff, i -> dist.get(i) - base.get(i));
        out.printf(Locale.ROOT, "| **mean ± sd** | **%s** | **%s** | **%+.2f ± %.2f** |%n", pct(base), pct(dist),
                100 * mean(diff), 100 * sd(diff));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experiment", "distill");
        m.put("teacher", teacher.toString());
        m.put("teacher_test_accuracy", teacherAcc);
        m.put("student_hidden", studentHidden);
        m.put("student_train_examples", plain.train().numExamples());
        m.put("lr_decay", probe.lrDecay());
        m.put("epochs", e);
        m.put("temperature", temperature);
        m.put("alpha", alpha);
        m.put("seeds", s);
        m.put("hard_only_test_accuracy", base);
        m.put("distilled_test_accuracy", dist);
        return m;
    }

    private TrainConfig withDistillation(TrainConfig c, double a) {
        return new TrainConfig(c.model(), c.loss(), c.engine(), c.dataset(), c.epochs(), c.batchSize(),
                c.learningRate(), c.lrDecay(), c.seed(), 0, 1, studentHidden, c.trainLimit(), c.testLimit(),
                new TrainConfig.Distillation(teacher.toString(), temperature, a));
    }

    // ---------------------------------------------------------------- throughput, threads

    /** One measured run: examples/s of the optimiser steps. */
    @FunctionalInterface
    private interface Variant {
        double examplesPerSecond() throws IOException;
    }

    /** Warm-up of each variant, then {@code rounds} rounds in ABBA order; medians per variant. */
    private Map<String, List<Double>> alternate(Map<String, Variant> variants) throws IOException {
        List<String> names = new ArrayList<>(variants.keySet());
        for (String v : names) {
            double x = variants.get(v).examplesPerSecond();
            err.printf(Locale.ROOT, "  warm-up %s: %,.0f examples/s%n", v, x);
        }
        Map<String, List<Double>> speeds = new LinkedHashMap<>();
        names.forEach(v -> speeds.put(v, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            List<String> order = new ArrayList<>(names);
            if (round % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (String v : order) {
                double x = variants.get(v).examplesPerSecond();
                speeds.get(v).add(x);
                err.printf(Locale.ROOT, "  round %d %s: %,.0f examples/s%n", round + 1, v, x);
            }
        }
        return speeds;
    }

    private Map<String, Object> throughput() throws IOException {
        TrainConfig.ModelKind m = models != null ? models[0] : TrainConfig.ModelKind.MLP;
        int e = epochs != null ? epochs : 1;
        Trainer.Data data = Runs.loadData(config(m, TrainConfig.LossKind.XENT4J, 42, e));
        Map<String, Variant> variants = new LinkedHashMap<>();
        for (TrainConfig.LossKind l : TrainConfig.LossKind.values()) {
            variants.put(l.id(), () -> quiet("train", config(m, l, 42, e), data).examplesPerSecond());
        }
        Map<String, List<Double>> speeds = alternate(variants);
        double x = median(speeds.get("xent4j"));
        double mc = median(speeds.get("mcxent"));
        out.printf(Locale.ROOT, "%s, %d epoch(s) of %,d examples per run, %d rounds (ABBA) after a warm-up, %d thread(s)%n%n",
                m.id(), e, data.train().numExamples(), rounds, NativeSettings.threads());
        out.println("| loss | examples/s (median) | runs |");
        out.println("| --- | ---: | --- |");
        speeds.forEach((k, v) -> out.printf(Locale.ROOT, "| %s | %,.0f | %s |%n", k, median(v), list(v)));
        out.printf(Locale.ROOT, "%nxent4j / mcxent = %.3f (%+.1f%%)%n", x / mc, 100 * (x / mc - 1));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("experiment", "throughput");
        r.put("model", m.id());
        r.put("epochs_per_run", e);
        r.put("examples_per_run", data.train().numExamples() * (long) e);
        r.put("examples_per_second", speeds);
        r.put("ratio_xent4j_over_mcxent", x / mc);
        return r;
    }

    private Map<String, Object> threadsExperiment() throws IOException {
        TrainConfig.ModelKind m = models != null ? models[0] : TrainConfig.ModelKind.MLP;
        int e = epochs != null ? epochs : 1;
        Trainer.Data data = Runs.loadData(config(m, TrainConfig.LossKind.XENT4J, 42, e));
        Map<String, Variant> variants = new LinkedHashMap<>();
        for (int t : new int[]{1, 2}) {
            variants.put(t + " thread" + (t > 1 ? "s" : ""), () -> {
                NativeSettings.setThreads(t);
                return quiet("train", config(m, TrainConfig.LossKind.XENT4J, 42, e), data).examplesPerSecond();
            });
        }
        Map<String, List<Double>> speeds = alternate(variants);
        out.printf(Locale.ROOT, "%s, %d epoch(s) of %,d examples per run, %d rounds (ABBA) after a warm-up%n%n",
                m.id(), e, data.train().numExamples(), rounds);
        out.println("| native threads | examples/s (median) | runs |");
        out.println("| --- | ---: | --- |");
        speeds.forEach((k, v) -> out.printf(Locale.ROOT, "| %s | %,.0f | %s |%n", k, median(v), list(v)));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("experiment", "threads");
        r.put("model", m.id());
        r.put("examples_per_second", speeds);
        return r;
    }

    // ---------------------------------------------------------------- statistics

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static double mean(double[] xs) {
        return Arrays.stream(xs).average().orElse(Double.NaN);
    }

    static double sd(double[] xs) {
        if (xs.length < 2) {
            return 0;
        }
        double m = mean(xs);
        return Math.sqrt(Arrays.stream(xs).map(x -> (x - m) * (x - m)).sum() / (xs.length - 1));
    }

    static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String pct(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        return String.format(Locale.ROOT, "%.2f ± %.2f%%", 100 * mean(a), 100 * sd(a));
    }

    private static String perSeed(List<Double> xs) {
        StringBuilder sb = new StringBuilder();
        for (double x : xs) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", 100 * x));
        }
        return sb.toString();
    }

    private static String list(List<Double> xs) {
        StringBuilder sb = new StringBuilder();
        for (double x : xs) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%,.0f", x));
        }
        return sb.toString();
    }

    private static String seedList(long[] s) {
        StringBuilder sb = new StringBuilder();
        for (long x : s) {
            sb.append(sb.length() == 0 ? "" : ",").append(x);
        }
        return sb.toString();
    }
}
