package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that determines a training run's result: network, loss, data, optimiser, seed and,
 * for distillation, the teacher settings. Stored in every checkpoint (so {@code --resume}
 * continues the same run) and in the metrics JSON.
 *
 * <p>Options that do not change the result (threads, output paths, the progress display) are
 * not part of it.
 *
 * @param model          network architecture
 * @param loss           loss function of the output layer
 * @param engine         which engine trains it ({@code dl4j}, {@code samediff})
 * @param dataset        MNIST or Fashion-MNIST
 * @param epochs         total number of epochs, {@code >= 1}
 * @param batchSize      minibatch size, {@code >= 1}
 * @param learningRate   Adam's initial learning rate, {@code > 0}
 * @param lrDecay        the learning rate is multiplied by this after every epoch, in (0, 1]
 * @param seed           weight initialisation, data order and every random number
 * @param labelSmoothing label smoothing of {@code LossSoftmaxCrossEntropy}, in [0, 1)
 * @param temperature    temperature of {@code LossSoftmaxCrossEntropy} (loss times t²), {@code > 0}
 * @param studentHidden  width of the student MLP's hidden layer
 * @param trainLimit     use only the first this many training examples (0 = all)
 * @param testLimit      use only the first this many test examples (0 = all)
 * @param distillation   teacher settings for {@code distill}; {@code null} for {@code train}
 */
public record TrainConfig(ModelKind model, LossKind loss, String engine, ImageDataset dataset, int epochs,
                          int batchSize, double learningRate, double lrDecay, long seed,
                          double labelSmoothing, double temperature, int studentHidden,
                          int trainLimit, int testLimit, Distillation distillation) {

    /** Network architectures of the example. */
    public enum ModelKind {
        /** 784-512-256-10, ReLU. */
        MLP,
        /** LeNet-style CNN: conv 5x5x20, max-pool, conv 5x5x50, max-pool, dense 500, 10. */
        LENET,
        /** 784-H-10, ReLU: the small student of the distillation experiment. */
        STUDENT;

        /** The command-line spelling: {@code mlp}, {@code lenet}, {@code student}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The output layer's loss function. */
    public enum LossKind {
        /** {@link io.github.xent4j.loss.LossSoftmaxCrossEntropy}. */
        XENT4J,
        /** DL4J's built-in {@code LossMCXENT}, for comparison (no smoothing, no temperature). */
        MCXENT;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Knowledge distillation (Hinton et al., 2015): the student minimises
     * {@code alpha * T² * CE(softmax(teacher/T), softmax(student/T)) + (1 - alpha) * CE(onehot, softmax(student))}.
     *
     * @param teacher     path of the teacher's checkpoint, as given
     * @param temperature T, {@code > 0}
     * @param alpha       weight of the soft term, in [0, 1]; 0 is training on hard labels alone
     */
    public record Distillation(String teacher, double temperature, double alpha) {
        public Distillation {
            Objects.requireNonNull(teacher, "teacher");
        }
    }

    public TrainConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(dataset, "dataset");
    }

    /** This configuration with another number of epochs (the only thing {@code --resume} may change). */
    public TrainConfig withEpochs(int newEpochs) {
        return new TrainConfig(model, loss, engine, dataset, newEpochs, batchSize, learningRate, lrDecay, seed,
                labelSmoothing, temperature, studentHidden, trainLimit, testLimit, distillation);
    }

    /** As stored in checkpoints and metrics: snake_case keys, enums in their command-line spelling. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.id());
        m.put("loss", loss.id());
        m.put("engine", engine);
        m.put("dataset", dataset.directoryName());
        m.put("epochs", epochs);
        m.put("batch_size", batchSize);
        m.put("lr", learningRate);
        m.put("lr_decay", lrDecay);
        m.put("seed", seed);
        m.put("label_smoothing", labelSmoothing);
        m.put("temperature", temperature);
        if (model == ModelKind.STUDENT) {
            m.put("student_hidden", studentHidden);
        }
        m.put("train_limit", trainLimit);
        m.put("test_limit", testLimit);
        if (distillation != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("teacher", distillation.teacher());
            d.put("temperature", distillation.temperature());
            d.put("alpha", distillation.alpha());
            m.put("distillation", d);
        }
        return m;
    }

    /** Inverse of {@link #toMap()}. */
    @SuppressWarnings("unchecked")
    public static TrainConfig fromMap(Map<String, Object> m) {
        Map<String, Object> d = (Map<String, Object>) m.get("distillation");
        return new TrainConfig(
                ModelKind.valueOf(str(m, "model").toUpperCase(Locale.ROOT)),
                LossKind.valueOf(str(m, "loss").toUpperCase(Locale.ROOT)),
                str(m, "engine"),
                ImageDataset.valueOf(str(m, "dataset").toUpperCase(Locale.ROOT)),
                num(m, "epochs").intValue(),
                num(m, "batch_size").intValue(),
                num(m, "lr").doubleValue(),
                num(m, "lr_decay").doubleValue(),
                num(m, "seed").longValue(),
                num(m, "label_smoothing").doubleValue(),
                num(m, "temperature").doubleValue(),
                m.containsKey("student_hidden") ? num(m, "student_hidden").intValue() : 0,
                num(m, "train_limit").intValue(),
                num(m, "test_limit").intValue(),
                d == null ? null : new Distillation(str(d, "teacher"), num(d, "temperature").doubleValue(),
                        num(d, "alpha").doubleValue()));
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("configuration: '" + key + "' must be a string, got " + v);
        }
        return s;
    }

    private static Number num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("configuration: '" + key + "' must be a number, got " + v);
        }
        return n;
    }

    private static String compact(double v) {
        return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** One line: {@code mlp/xent4j on mnist, 10 epochs, batch 128, lr 0.001, seed 42}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(model.id());
        if (model == ModelKind.STUDENT) {
            sb.append("(").append(studentHidden).append(")");
        }
        sb.append('/').append(loss.id()).append(" on ").append(dataset.directoryName());
        if (!"dl4j".equals(engine)) {
            sb.append(" [").append(engine).append(']');
        }
        sb.append(String.format(Locale.ROOT, ", %d epochs, batch %d, lr %s (x%s/epoch), seed %d",
                epochs, batchSize, compact(learningRate), compact(lrDecay), seed));
        if (labelSmoothing != 0) {
            sb.append(", smoothing ").append(compact(labelSmoothing));
        }
        if (temperature != 1) {
            sb.append(", temperature ").append(compact(temperature));
        }
        if (distillation != null) {
            sb.append(", distilled at T=").append(compact(distillation.temperature())).append(", alpha=")
                    .append(compact(distillation.alpha()));
        }
        if (trainLimit > 0 || testLimit > 0) {
            sb.append(", limits train ").append(trainLimit > 0 ? trainLimit : "all")
                    .append(" test ").append(testLimit > 0 ? testLimit : "all");
        }
        return sb.toString();
    }
}
