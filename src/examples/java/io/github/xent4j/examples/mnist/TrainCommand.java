package io.github.xent4j.examples.mnist;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code mnist train}: trains one network, checkpointing after every epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains an MLP or a LeNet-style CNN, prints the test accuracy after every epoch and a "
                + "one-line RESULT at the end.",
                "Example: train --model lenet --epochs 6 --metrics-out target/mnist/lenet.json --plots target/mnist"})
final class TrainCommand extends MnistApp.PrintingCommand {

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "mlp",
            description = "mlp (784-512-256-10), lenet (LeNet-5 style CNN) or student (784-H-10) "
                    + "(default: ${DEFAULT-VALUE}).")
    TrainConfig.ModelKind model;

    @Option(names = "--loss", paramLabel = "LOSS", defaultValue = "xent4j",
            description = "xent4j (LossSoftmaxCrossEntropy) or mcxent (DL4J's LossMCXENT) (default: ${DEFAULT-VALUE}).")
    TrainConfig.LossKind loss;

    @Option(names = "--label-smoothing", paramLabel = "EPS", defaultValue = "0",
            description = "Label smoothing of LossSoftmaxCrossEntropy, in [0, 1) (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1",
            description = "Temperature of LossSoftmaxCrossEntropy: softmax(z/T), loss times T^2 (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "dl4j",
            description = "dl4j (MultiLayerNetwork) or samediff (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--student-hidden", paramLabel = "H", defaultValue = "" + DistillCommand.DEFAULT_HIDDEN,
            description = "Hidden width of --model student (default: ${DEFAULT-VALUE}).")
    int studentHidden;

    @Mixin
    RunOptions run;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;


    /** Option name to key of the flattened configuration, for the --resume check. */
    static Map<String, String> optionKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--model", "model");
        m.put("--loss", "loss");
        m.put("--engine", "engine");
        m.put("--dataset", "dataset");
        m.put("--batch-size", "batch_size");
        m.put("--lr", "lr");
        m.put("--lr-decay", "lr_decay");
        m.put("--seed", "seed");
        m.put("--label-smoothing", "label_smoothing");
        m.put("--temperature", "temperature");
        m.put("--student-hidden", "student_hidden");
        m.put("--train-limit", "train_limit");
        m.put("--test-limit", "test_limit");
        return m;
    }

    static int defaultEpochs(TrainConfig.ModelKind model) {
        return model == TrainConfig.ModelKind.LENET ? 6 : 10;
    }

    @Override
    public Integer call() throws Exception {
        if (run.output == null) {
            run.output = Path.of("target", "mnist", defaultName() + ".zip");
        }
        TrainConfig cli = new TrainConfig(model, loss, engine, run.dataset,
                run.epochs != null ? run.epochs : defaultEpochs(model), run.batchSize, run.lr, run.lrDecay, run.seed,
                labelSmoothing, temperature, model == TrainConfig.ModelKind.STUDENT ? studentHidden : 0,
                run.trainLimit, run.testLimit, null);
        Runs.validate(cli);
        try {
            Engines.forName(cli.engine()).check(cli);   // reported before any data is loaded
        } catch (IllegalArgumentException e) {
            throw new MnistApp.UsageException("--engine: " + e.getMessage());
        }
        TrainConfig config = Runs.resolve(cli, run, spec.commandLine().getParseResult(), optionKeys(), "train");
        Runs.validate(config);
        Runs.prepareOutputs(run, err);
        Runs.applyThreads(run.threads);
        Trainer.Data data = Runs.loadData(config);
        Trainer.Result r = Trainer.run("train", config, data, Runs.trainerOptions(run, out, err));
        Runs.finish("train", r, data, run, out);
        return 0;
    }

    private String defaultName() {
        StringBuilder sb = new StringBuilder(model.id());
        if (loss != TrainConfig.LossKind.XENT4J) {
            sb.append('-').append(loss.id());
        }
        if (!"dl4j".equals(engine)) {
            sb.append('-').append(engine);
        }
        if (run.dataset != io.github.xent4j.examples.data.ImageDataset.MNIST) {
            sb.append('-').append(run.dataset.directoryName());
        }
        return sb.toString();
    }
}
