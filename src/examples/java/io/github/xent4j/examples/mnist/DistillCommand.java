package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code mnist distill}: trains the small student MLP on a teacher's soft labels mixed with the
 * hard labels (Hinton, Vinyals, Dean 2015, "Distilling the Knowledge in a Neural Network").
 *
 * <p>The objective, per example, with {@code z} the student's logits, {@code v} the teacher's,
 * {@code q = softmax(v / T)} and {@code y} one-hot:
 * <pre>{@code
 * loss = alpha * T² * CE(q, softmax(z / T))  +  (1 - alpha) * CE(y, softmax(z))
 * dloss/dz = alpha * T * (softmax(z / T) - q)  +  (1 - alpha) * (softmax(z) - y)
 * }</pre>
 * Two terms, because the hard term belongs at temperature 1: the student is used at T = 1,
 * and Hinton's "second objective function is the cross entropy with the correct labels ...
 * computed using exactly the same logits in softmax of the distilled model but at a
 * temperature of 1". The soft term's T² keeps its gradient, which scales as 1/T² at high
 * temperature, comparable to the hard term's whatever T is, so alpha means the same thing for
 * every T. The single loss {@code T² * CE(alpha * q + (1 - alpha) * y, softmax(z / T))} would
 * instead put the hard labels at temperature T with weight T² (its gradient
 * {@code (1 - alpha) * T * (softmax(z / T) - y)} pushes the logit gaps to grow with T), a
 * different objective; it is not what this command does.
 *
 * <p>Implementation: {@link MnistNetworks#distillationGraph} puts two {@code LossSoftmaxCrossEntropy}
 * heads on the student's logits, one with {@code temperature(T)} (which applies the T²) on the
 * labels {@code alpha * q}, one plain on {@code (1 - alpha) * y}. The labels are scaled instead
 * of the losses; xent4j's gradient is exact for labels that do not sum to 1, so this is the
 * weighted sum above. {@code --alpha 0} is training on the hard labels alone: the same graph,
 * initialisation and data order, with the soft head contributing exactly zero.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Distils a teacher (a model from 'train', usually lenet) into the small student MLP "
                + "784-H-10: loss = alpha*T^2*CE(softmax(teacher/T), softmax(student/T)) + (1-alpha)*CE(onehot, "
                + "softmax(student)). --alpha 0 trains the same student on the hard labels alone.",
                "Example: distill --teacher target/mnist/lenet.zip --temperature 4 --alpha 0.9"})
final class DistillCommand extends MnistApp.PrintingCommand {

    static final int DEFAULT_HIDDEN = 128;

    @Option(names = "--teacher", paramLabel = "FILE", required = true,
            description = "The teacher model (a MultiLayerNetwork zip written by train).")
    Path teacher;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "4",
            description = "Distillation temperature T > 0 (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.9",
            description = "Weight of the soft (teacher) term in [0, 1]; 1 - alpha weighs the hard labels "
                    + "(default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--student-hidden", paramLabel = "H", defaultValue = "" + DEFAULT_HIDDEN,
            description = "Hidden width of the student 784-H-10 (default: ${DEFAULT-VALUE}).")
    int studentHidden;

    @Mixin
    RunOptions run;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;


    static Map<String, String> optionKeys() {
        Map<String, String> m = new LinkedHashMap<>(TrainCommand.optionKeys());
        m.remove("--model");
        m.remove("--loss");
        m.remove("--engine");
        m.remove("--label-smoothing");
        m.put("--temperature", "distillation.temperature");
        m.put("--alpha", "distillation.alpha");
        m.put("--teacher", "distillation.teacher");
        return m;
    }

    @Override
    public Integer call() throws Exception {
        if (run.output == null) {
            run.output = Path.of("target", "mnist", "student-distilled.zip");
        }
        TrainConfig cli = new TrainConfig(TrainConfig.ModelKind.STUDENT, TrainConfig.LossKind.XENT4J, "dl4j",
                run.dataset, run.epochs != null ? run.epochs : 10, run.batchSize, run.lr, run.lrDecay, run.seed, 0, 1,
                studentHidden, run.trainLimit, run.testLimit,
                new TrainConfig.Distillation(teacher.toString(), temperature, alpha));
        Runs.validate(cli);
        TrainConfig config = Runs.resolve(cli, run, spec.commandLine().getParseResult(), optionKeys(), "distill");
        Path teacherFile = Path.of(config.distillation().teacher());
        if (!Files.isRegularFile(teacherFile)) {
            throw new MnistApp.UsageException("--teacher: no model file at " + teacherFile
                    + " (train one first, e.g. train --model lenet --output " + teacherFile + ")");
        }
        Runs.prepareOutputs(run, err);
        Runs.applyThreads(run.threads);
        MultiLayerNetwork teacherNet = loadTeacher(teacherFile, config);
        Trainer.Data plain = Runs.loadData(config);
        double teacherAccuracy = Trainer.evaluate(new Dl4jEngine.Multi(teacherNet), plain.test()).accuracy();
        out.printf(Locale.ROOT, "teacher %s: test accuracy %.2f%%%n", teacherFile, 100 * teacherAccuracy);
        Trainer.Data data = new Trainer.Data(plain.train(), plain.test(), distillationLabels(teacherNet, plain.train(),
                config.distillation().temperature(), config.distillation().alpha()));
        Trainer.Result r = Trainer.run("distill", config, data, Runs.trainerOptions(run, out, err));
        Runs.finish("distill", r, data, run, out);
        return 0;
    }

    static MultiLayerNetwork loadTeacher(Path file, TrainConfig student) throws IOException {
        Checkpoint.State state = Checkpoint.readState(file);
        if (state != null && state.config().dataset() != student.dataset()) {
            throw new MnistApp.UsageException("--teacher " + file + " was trained on "
                    + state.config().dataset().directoryName() + ", not " + student.dataset().directoryName());
        }
        TrainableModel model = Dl4jEngine.restoreAny(file);
        if (!(model instanceof Dl4jEngine.Multi multi)) {
            throw new MnistApp.UsageException("--teacher must be a MultiLayerNetwork (a model from 'train'), got "
                    + model.describe());
        }
        return multi.model;
    }

    /**
     * The student's training labels {@code [N, 20]}: {@code alpha * softmax(teacherLogits / T)}, then
     * {@code (1 - alpha) * onehot}. The teacher runs once over the training set, in batches.
     */
    static INDArray distillationLabels(MultiLayerNetwork teacher, MnistData train, double temperature, double alpha) {
        return distillationLabels(softTargets(teacher, train, temperature), train, alpha);
    }

    /** {@code softmax(teacherLogits / T)} for every training example, {@code [N, 10]}. */
    static INDArray softTargets(MultiLayerNetwork teacher, MnistData train, double temperature) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            int n = train.numExamples();
            INDArray soft = Nd4j.create(train.labels().dataType(), n, MnistNetworks.CLASSES);
            for (int from = 0; from < n; from += 1000) {
                int to = Math.min(n, from + 1000);
                INDArray x = train.features().get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
                INDArray logits = MnistNetworks.logits(teacher, x).castTo(soft.dataType());
                soft.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())
                        .assign(Nd4j.nn().softmax(logits.divi(temperature), 1));
            }
            return soft;
        }
    }

    /** {@code [alpha * q, (1 - alpha) * onehot]}, the labels of {@link MnistNetworks#distillationGraph}. */
    static INDArray distillationLabels(INDArray q, MnistData train, double alpha) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.hstack(q.mul(alpha), train.labels().mul(1 - alpha));
        }
    }
}
