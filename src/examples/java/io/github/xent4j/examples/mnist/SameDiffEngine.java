package io.github.xent4j.examples.mnist;

import io.github.xent4j.XentOptions;
import io.github.xent4j.samediff.XentSameDiff;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Loss;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The SameDiff engine ({@code --engine samediff}): the MLP of {@link MnistNetworks} (784-512-256-10,
 * ReLU) as a SameDiff graph whose loss is {@link XentSameDiff#softmaxCrossEntropy} with
 * {@code MEAN} reduction, trained by {@code sd.fit} with the same Adam schedule as the DL4J
 * engine. He-normal initialisation for the hidden layers and Xavier for the output, drawn from
 * the run's seed, as DL4J's {@code WeightInit.RELU} and {@code XAVIER} do (not the same numbers:
 * the two engines start from different weights). A checkpoint is a zip whose entry
 * {@value #GRAPH_ENTRY} is SameDiff's own FlatBuffers file with the updater state
 * ({@code SameDiff.load(file, true)}), so {@link Checkpoint} can add its state entry beside it.
 */
public final class SameDiffEngine implements Engine {
    static final String INPUT = "in";
    static final String LABEL = "label";
    static final String LOSS = "loss";
    static final String PROBABILITIES = "probabilities";
    /** The zip entry holding the SameDiff graph. */
    static final String GRAPH_ENTRY = "samediff-graph.fb";

    @Override
    public String name() {
        return "samediff";
    }

    @Override
    public void check(TrainConfig config) {
        if (config.model() != TrainConfig.ModelKind.MLP || config.distillation() != null) {
            throw new IllegalArgumentException("--engine samediff trains --model mlp with train; use --engine dl4j for "
                    + config.model().id() + (config.distillation() != null ? " and for distill" : ""));
        }
        if (config.loss() != TrainConfig.LossKind.XENT4J) {
            throw new IllegalArgumentException("--engine samediff uses the xent4j SameDiff op; --loss "
                    + config.loss().id() + " needs --engine dl4j");
        }
    }

    @Override
    public TrainableModel create(TrainConfig config) {
        check(config);
        Nd4j.getRandom().setSeed(config.seed());
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder(INPUT, DataType.FLOAT, -1, MnistNetworks.PIXELS);
        SDVariable label = sd.placeHolder(LABEL, DataType.FLOAT, -1, MnistNetworks.CLASSES);
        SDVariable h1 = sd.nn().relu(dense(sd, "0", in, MnistNetworks.PIXELS, 512, true), 0);
        SDVariable h2 = sd.nn().relu(dense(sd, "1", h1, 512, 256, true), 0);
        SDVariable logits = dense(sd, "2", h2, 256, MnistNetworks.CLASSES, false);
        sd.nn().softmax(PROBABILITIES, logits, 1);
        XentOptions options = XentOptions.builder().labelSmoothing(config.labelSmoothing())
                .temperature(config.temperature()).build();
        // MEAN: DL4J divides the summed loss by the minibatch size, so both engines take the same steps
        XentSameDiff.softmaxCrossEntropy(sd, LOSS, logits, label, options, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        sd.setTrainingConfig(TrainingConfig.builder()
                .updater(new Adam(new ExponentialSchedule(ScheduleType.EPOCH, config.learningRate(), config.lrDecay())))
                .dataSetFeatureMapping(INPUT).dataSetLabelMapping(LABEL)
                .build());
        return new Model(sd);
    }

    /** {@code x W + b} with He-normal (ReLU layers) or Xavier-normal weights and zero bias. */
    private static SDVariable dense(SameDiff sd, String id, SDVariable x, int nIn, int nOut, boolean relu) {
        double std = relu ? Math.sqrt(2.0 / nIn) : Math.sqrt(2.0 / (nIn + nOut));
        SDVariable w = sd.var("W" + id, Nd4j.randn(DataType.FLOAT, nIn, nOut).muli(std));
        SDVariable b = sd.var("b" + id, Nd4j.zeros(DataType.FLOAT, 1, nOut));
        return x.mmul(w).add(b);
    }

    @Override
    public TrainableModel restore(Path checkpoint, TrainConfig config) throws IOException {
        Path graph = Files.createTempFile("xent4j-samediff", ".fb");
        try {
            try (ZipFile zip = new ZipFile(checkpoint.toFile())) {
                ZipEntry entry = zip.getEntry(GRAPH_ENTRY);
                if (entry == null) {
                    throw new IOException(checkpoint + " has no " + GRAPH_ENTRY + " entry: not a SameDiff checkpoint");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    Files.copy(in, graph, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return new Model(SameDiff.load(graph.toFile(), true));
        } finally {
            Files.deleteIfExists(graph);
        }
    }

    /** A SameDiff MLP being trained. */
    static final class Model implements TrainableModel {
        final SameDiff sd;
        /** The loss of the last iteration: {@code fit(DataSet)} returns a History without a loss curve. */
        private double lastLoss = Double.NaN;

        Model(SameDiff sd) {
            this.sd = sd;
            if (sd.getFunction("grad") == null) {
                // SameDiff 1.0.0-M2.1 prints "Added differentiated op ..." to System.out for every
                // op while it builds the gradient graph; build it here, before the progress bar
                PrintStream out = System.out;
                System.setOut(new PrintStream(OutputStream.nullOutputStream()));
                try {
                    sd.createGradFunction();
                } finally {
                    System.setOut(out);
                }
            }
            sd.setListeners(new BaseListener() {
                @Override
                public boolean isActive(Operation operation) {
                    return operation == Operation.TRAINING;
                }

                @Override
                public void iterationDone(SameDiff s, At at, MultiDataSet batch, Loss loss) {
                    lastLoss = loss.getLoss(LOSS);
                }
            });
        }

        @Override
        public double fit(INDArray features, INDArray labels) {
            lastLoss = Double.NaN;
            sd.fit(new DataSet(features, labels));
            return lastLoss;
        }

        @Override
        public INDArray predict(INDArray features) {
            return sd.output(Map.of(INPUT, features), PROBABILITIES).get(PROBABILITIES);
        }

        @Override
        public void endEpoch() {
            sd.getTrainingConfig().incrementEpochCount();
        }

        @Override
        public int epochCount() {
            return sd.getTrainingConfig().getEpochCount();
        }

        @Override
        public long numParams() {
            return parameters().stream().mapToLong(INDArray::length).sum();
        }

        @Override
        public INDArray params() {
            List<INDArray> flat = new ArrayList<>();
            for (INDArray p : parameters()) {
                flat.add(p.reshape(p.length()));
            }
            return Nd4j.concat(0, flat.toArray(new INDArray[0])).dup();
        }

        private List<INDArray> parameters() {
            List<INDArray> params = new ArrayList<>();
            for (SDVariable v : sd.variables()) {
                if (v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE) {
                    params.add(v.getArr());
                }
            }
            return params;
        }

        @Override
        public void save(Path file) throws IOException {
            Path graph = Files.createTempFile("xent4j-samediff", ".fb");
            try {
                sd.save(graph.toFile(), true);
                try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
                    zip.putNextEntry(new ZipEntry(GRAPH_ENTRY));
                    Files.copy(graph, zip);
                    zip.closeEntry();
                }
            } finally {
                Files.deleteIfExists(graph);
            }
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "SameDiff MLP with XentSameDiff.softmaxCrossEntropy, %,d parameters",
                    numParams());
        }
    }
}
