package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.MnistData;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What {@code train}, {@code distill}, {@code evaluate} and {@code experiment} share. */
final class Runs {

    /**
     * Native threads when {@code --threads} is not given: 1. On the 2-core reference machine one
     * thread trained the MLP 2.7x (idle) to 16x (loaded: OpenMP workers spin-wait for a core that
     * another process holds) faster than two; two were 27% faster only for LeNet on an idle
     * machine. See src/site/markdown/examples.md for the measurements.
     */
    static final int DEFAULT_THREADS = 1;
    static final String DEFAULT_THREADS_TEXT = "1";

    private Runs() {
    }

    static void applyThreads(Integer threads) {
        int n = threads != null ? threads : DEFAULT_THREADS;
        if (n < 1) {
            throw new MnistApp.UsageException("--threads must be >= 1, got " + n);
        }
        NativeSettings.setThreads(n);
    }

    /** Loads the configuration's dataset, limited to its train and test limits. */
    static Trainer.Data loadData(TrainConfig c) throws IOException {
        MnistData train = limit(MnistData.load(c.dataset(), true), c.trainLimit());
        MnistData test = limit(MnistData.load(c.dataset(), false), c.testLimit());
        return new Trainer.Data(train, test, null);
    }

    static MnistData limit(MnistData data, int limit) {
        if (limit <= 0 || limit >= data.numExamples()) {
            return data;
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return new MnistData(data.features().get(NDArrayIndex.interval(0, limit), NDArrayIndex.all()).dup(),
                    Arrays.copyOf(data.classIds(), limit), data.labelNames());
        }
    }

    /** Checks the ranges of the options every configuration has; throws a usage error naming the option. */
    static void validate(TrainConfig c) {
        check(c.epochs() >= 1, "--epochs must be >= 1, got " + c.epochs());
        check(c.batchSize() >= 1, "--batch-size must be >= 1, got " + c.batchSize());
        check(c.learningRate() > 0 && Double.isFinite(c.learningRate()), "--lr must be > 0, got " + c.learningRate());
        check(c.lrDecay() > 0 && c.lrDecay() <= 1, "--lr-decay must be in (0, 1], got " + c.lrDecay());
        check(c.trainLimit() >= 0 && c.trainLimit() <= 60_000,
                "--train-limit must be in [0, 60000] (0 = all), got " + c.trainLimit());
        check(c.testLimit() >= 0 && c.testLimit() <= 10_000,
                "--test-limit must be in [0, 10000] (0 = all), got " + c.testLimit());
        check(c.labelSmoothing() >= 0 && c.labelSmoothing() < 1,
                "--label-smoothing must be in [0, 1), got " + c.labelSmoothing());
        check(c.temperature() > 0 && Double.isFinite(c.temperature()),
                "--temperature must be > 0, got " + c.temperature());
        if (c.loss() == TrainConfig.LossKind.MCXENT) {
            check(c.labelSmoothing() == 0, "--label-smoothing needs --loss xent4j (LossMCXENT has no smoothing)");
            check(c.temperature() == 1, "--temperature needs --loss xent4j (LossMCXENT has no temperature)");
        }
        if (c.model() == TrainConfig.ModelKind.STUDENT) {
            check(c.studentHidden() >= 1, "--student-hidden must be >= 1, got " + c.studentHidden());
        }
        if (c.distillation() != null) {
            check(c.distillation().temperature() > 0 && Double.isFinite(c.distillation().temperature()),
                    "--temperature must be > 0, got " + c.distillation().temperature());
            check(c.distillation().alpha() >= 0 && c.distillation().alpha() <= 1,
                    "--alpha must be in [0, 1], got " + c.distillation().alpha());
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new MnistApp.UsageException(message);
        }
    }

    /**
     * The configuration to run: {@code fromCli} for a fresh run; with {@code --resume}, the one
     * stored in the checkpoint with {@code --epochs} applied, after checking that no other
     * option given on the command line contradicts it.
     *
     * @param optionKeys the options that determine the configuration, mapped to their key in
     *                   the flattened {@link TrainConfig#toMap()}
     */
    static TrainConfig resolve(TrainConfig fromCli, RunOptions run, CommandLine.ParseResult parsed,
                               Map<String, String> optionKeys, String command) throws IOException {
        if (!run.resume) {
            return fromCli;
        }
        Checkpoint.State state;
        try {
            state = Checkpoint.readState(run.output);
        } catch (NoSuchFileException e) {
            throw new MnistApp.UsageException("--resume: there is no checkpoint at " + run.output
                    + " (drop --resume to start, or give --output)");
        }
        if (state == null) {
            throw new MnistApp.UsageException("--resume: " + run.output + " has no training state; it was not "
                    + "written by this example");
        }
        if (!command.equals(state.command())) {
            throw new MnistApp.UsageException("--resume: " + run.output + " is a checkpoint of '" + state.command()
                    + "', not '" + command + "'");
        }
        Map<String, Object> given = flatten(fromCli.toMap());
        Map<String, Object> stored = flatten(state.config().toMap());
        List<String> conflicts = new ArrayList<>();
        optionKeys.forEach((option, key) -> {
            if (parsed.hasMatchedOption(option) && !Objects.equals(given.get(key), stored.get(key))) {
                conflicts.add(option + " " + given.get(key) + " (the checkpoint has " + stored.get(key) + ")");
            }
        });
        if (!conflicts.isEmpty()) {
            throw new MnistApp.UsageException("--resume continues the checkpoint's configuration, but the command "
                    + "line differs: " + String.join(", ", conflicts) + "; drop these options, or drop --resume "
                    + "to start a new run");
        }
        return state.config().withEpochs(run.epochs != null ? run.epochs : state.config().epochs());
    }

    private static Map<String, Object> flatten(Map<String, Object> m) {
        Map<String, Object> flat = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v instanceof Map<?, ?> inner) {
                inner.forEach((ik, iv) -> flat.put(k + "." + ik, iv));
            } else {
                flat.put(k, v);
            }
        });
        return flat;
    }

    /**
     * Before training: checks that {@code --output}, {@code --metrics-out} and {@code --plots} can
     * be written (a usage error saying what failed and why, not a failure after the first epoch
     * or the whole run), and removes the temporary files an interrupted checkpoint write of
     * {@code --output} left behind.
     */
    static void prepareOutputs(RunOptions run, PrintStream err) throws IOException {
        AtomicFiles.checkWritable(run.output, "--output");
        if (run.metricsOut != null) {
            AtomicFiles.checkWritable(run.metricsOut, "--metrics-out");
        }
        if (run.plots != null) {
            AtomicFiles.checkWritableDirectory(run.plots, "--plots " + run.plots);
        }
        int stale = AtomicFiles.removeStaleTemporaries(run.output);
        if (stale > 0) {
            err.println("removed " + stale + " temporary file" + (stale == 1 ? "" : "s") + " of " + run.output
                    + " left by an interrupted checkpoint write");
        }
    }

    static Trainer.Options trainerOptions(RunOptions run, PrintStream out, PrintStream err) {
        return new Trainer.Options(run.output, run.resume, run.progress, out, err, null);
    }

    /** Metrics JSON, plots and the summary line after a run. */
    static void finish(String command, Trainer.Result r, Trainer.Data data, RunOptions run, PrintStream out)
            throws IOException {
        if (run.metricsOut != null) {
            AtomicFiles.writeString(run.metricsOut, Json.write(Reports.metrics(command, r, data.test().labelNames(),
                    run.output)));
            out.println("metrics: " + run.metricsOut);
        }
        if (run.plots != null) {
            String title = r.config().model().id() + "/" + r.config().loss().id();
            Path curves = Plots.writeCurves(run.plots, title, r.history(), r.batchLosses());
            Path matrix = Plots.writeConfusion(run.plots, title, Reports.confusion(r.evaluation(),
                    data.test().numClasses()), data.test().labelNames());
            out.println("plots: " + curves + ", " + matrix);
        }
        out.println(Reports.summary(r, run.output));
    }
}
