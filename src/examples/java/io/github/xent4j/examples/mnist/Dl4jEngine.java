package io.github.xent4j.examples.mnist;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The DL4J engine: {@link MultiLayerNetwork}s from {@link MnistNetworks}, and for distillation the
 * {@link ComputationGraph} of {@link MnistNetworks#distillationGraph}. Checkpoints are DL4J's own
 * model zips with the updater (Adam) state, so {@code MultiLayerNetwork.load(file, true)} or
 * {@code ComputationGraph.load(file, true)} opens them outside this example too.
 */
public final class Dl4jEngine implements Engine {

    @Override
    public String name() {
        return "dl4j";
    }

    @Override
    public TrainableModel create(TrainConfig config) {
        return config.distillation() != null
                ? new Graph(MnistNetworks.distillationGraph(config))
                : new Multi(MnistNetworks.network(config));
    }

    @Override
    public TrainableModel restore(Path checkpoint, TrainConfig config) throws IOException {
        return config.distillation() != null
                ? new Graph(ModelSerializer.restoreComputationGraph(checkpoint.toFile(), true))
                : new Multi(ModelSerializer.restoreMultiLayerNetwork(checkpoint.toFile(), true));
    }

    /** Opens any DL4J model zip for inference: a {@code MultiLayerNetwork}, else a {@code ComputationGraph}. */
    static TrainableModel restoreAny(Path file) throws IOException {
        try {
            return new Multi(ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false));
        } catch (RuntimeException | IOException notMultiLayer) {
            try {
                return new Graph(ModelSerializer.restoreComputationGraph(file.toFile(), false));
            } catch (RuntimeException | IOException notGraph) {
                IOException e = new IOException(file + " is not a DL4J model zip this example can read: "
                        + (notMultiLayer.getMessage() != null ? notMultiLayer.getMessage() : notMultiLayer.toString()),
                        notMultiLayer);
                e.addSuppressed(notGraph);
                throw e;
            }
        }
    }

    /** What both kinds of DL4J model do alike: size, parameters, and the model zip with updater state. */
    abstract static class Dl4jModel<M extends Model> implements TrainableModel {
        final M model;

        Dl4jModel(M model) {
            this.model = model;
        }

        @Override
        public long numParams() {
            return model.numParams();
        }

        @Override
        public INDArray params() {
            return model.params().dup();
        }

        @Override
        public void save(Path file) throws IOException {
            ModelSerializer.writeModel(model, file.toFile(), true);
        }
    }

    /** A {@link MultiLayerNetwork}: every model of {@code train}. */
    static final class Multi extends Dl4jModel<MultiLayerNetwork> {
        Multi(MultiLayerNetwork net) {
            super(net);
        }

        @Override
        public double fit(INDArray features, INDArray labels) {
            model.fit(features, labels);
            return model.score();
        }

        @Override
        public INDArray predict(INDArray features) {
            return model.output(features, false);
        }

        @Override
        public void endEpoch() {
            model.incrementEpochCount();
        }

        @Override
        public int epochCount() {
            return model.getEpochCount();
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "MultiLayerNetwork, %,d parameters", model.numParams());
        }
    }

    /** The distillation {@link ComputationGraph}: labels {@code [B, 20]} are split into its two heads. */
    static final class Graph extends Dl4jModel<ComputationGraph> {
        Graph(ComputationGraph graph) {
            super(graph);
        }

        @Override
        public double fit(INDArray features, INDArray labels) {
            int k = MnistNetworks.CLASSES;
            if (labels.columns() != 2 * k) {
                throw new IllegalArgumentException("distillation labels must be [B, " + 2 * k
                        + "] (alpha * soft, then (1 - alpha) * one-hot), got [" + labels.rows() + ", "
                        + labels.columns() + "]");
            }
            INDArray soft = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)).dup();
            INDArray hard = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)).dup();
            model.fit(new INDArray[]{features}, new INDArray[]{hard, soft});
            return model.score();
        }

        @Override
        public INDArray predict(INDArray features) {
            return model.output(false, features)[0];
        }

        @Override
        public void endEpoch() {
            model.incrementEpochCount();
        }

        @Override
        public int epochCount() {
            return model.getEpochCount();
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "ComputationGraph (student + 2 loss heads), %,d parameters",
                    model.numParams());
        }
    }
}
