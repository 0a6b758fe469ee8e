package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;
import io.github.xent4j.examples.data.MnistData;
import org.nd4j.evaluation.classification.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code mnist evaluate}: accuracy, per-class precision and recall, confusion matrix of a saved model. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Loads a model written by train or distill (or any DL4J model zip taking 784 pixels) and "
                + "reports accuracy, per-class precision/recall/F1 and the confusion matrix on the test set.",
                "Example: evaluate target/mnist/mlp.zip --plots target/mnist"})
final class EvaluateCommand extends MnistApp.PrintingCommand {

    @Parameters(index = "0", paramLabel = "MODEL_FILE", description = "The model zip (e.g. target/mnist/mlp.zip).")
    Path modelFile;

    @Option(names = "--dataset", paramLabel = "NAME",
            description = "mnist or fashion (default: the one the model was trained on, else mnist).")
    ImageDataset dataset;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0",
            description = "Evaluate on the first N test examples only (default: all).")
    int testLimit;

    @Option(names = "--metrics-out", paramLabel = "FILE", description = "Write the results as JSON here.")
    Path metricsOut;

    @Option(names = "--plots", paramLabel = "DIR", description = "Write confusion-matrix.png into this directory.")
    Path plots;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads for ND4J's native ops (default: " + Runs.DEFAULT_THREADS_TEXT + ").")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (metricsOut != null) {
            AtomicFiles.checkWritable(metricsOut, "--metrics-out");
        }
        if (plots != null) {
            AtomicFiles.checkWritableDirectory(plots, "--plots " + plots);
        }
        if (!Files.isRegularFile(modelFile)) {
            throw new MnistApp.UsageException("no model file at " + modelFile);
        }
        if (testLimit < 0 || testLimit > 10_000) {
            throw new MnistApp.UsageException("--test-limit must be in [0, 10000] (0 = all), got " + testLimit);
        }
        Runs.applyThreads(threads);
        Checkpoint.State state = Checkpoint.readState(modelFile);
        TrainableModel model = state != null
                ? Engines.forName(state.config().engine()).restore(modelFile, state.config())
                : Dl4jEngine.restoreAny(modelFile);
        ImageDataset ds = dataset != null ? dataset : state != null ? state.config().dataset() : ImageDataset.MNIST;
        MnistData test = Runs.limit(MnistData.load(ds, false), testLimit);
        Evaluation eval = Trainer.evaluate(model, test);

        out.printf(Locale.ROOT, "%s: %s%n", modelFile, model.describe());
        if (state != null) {
            out.printf(Locale.ROOT, "trained by '%s': %s, %d epochs done%n", state.command(),
                    state.config().describe(), state.epochsDone());
        }
        out.printf(Locale.ROOT, "test set: %s, %d examples%n%n", ds.directoryName(), test.numExamples());
        Reports.printEvaluation(out, eval, test.labelNames());

        if (metricsOut != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", "evaluate");
            m.put("model_file", modelFile.toString());
            m.put("dataset", ds.directoryName());
            m.put("test_accuracy", eval.accuracy());
            m.put("test_errors", Reports.errors(eval));
            m.put("test_examples", eval.getNumRowCounter());
            m.put("per_class", Reports.perClass(eval, test.labelNames()));
            m.put("confusion_matrix", Reports.confusion(eval, test.numClasses()));
            m.put("config", state == null ? null : state.config().toMap());
            m.put("environment", NativeSettings.describe());
            AtomicFiles.writeString(metricsOut, Json.write(m));
            out.println("metrics: " + metricsOut);
        }
        if (plots != null) {
            Path p = Plots.writeConfusion(plots, modelFile.getFileName().toString(),
                    Reports.confusion(eval, test.numClasses()), test.labelNames());
            out.println("plot: " + p);
        }
        return 0;
    }
}
