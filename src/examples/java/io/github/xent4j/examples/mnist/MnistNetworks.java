package io.github.xent4j.examples.mnist;

import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.List;

/**
 * The example's networks, every one ending in {@link LossSoftmaxCrossEntropy} (or DL4J's
 * {@code LossMCXENT} with {@code --loss mcxent}, for comparison).
 *
 * <ul>
 *   <li>{@link TrainConfig.ModelKind#MLP}: 784-512-256-10, ReLU, 535k parameters.</li>
 *   <li>{@link TrainConfig.ModelKind#LENET}: LeNet-5 style, as in DL4J's own examples: conv 5x5x20,
 *       max-pool 2x2, conv 5x5x50, max-pool 2x2, dense 500, 10 (ReLU), 431k parameters.</li>
 *   <li>{@link TrainConfig.ModelKind#STUDENT}: 784-H-10, ReLU, the small student.</li>
 *   <li>{@link #distillationGraph}: the student as a {@code ComputationGraph} with two loss
 *       heads on the same logits, for Hinton's two-term distillation objective.</li>
 * </ul>
 *
 * <p>All use float32, He initialisation for ReLU layers, and Adam whose learning rate is
 * multiplied by {@code lrDecay} after every epoch (a schedule on DL4J's epoch counter, so it
 * continues correctly after {@code --resume}). The scale-out examples (ParallelWrapper, Spark)
 * train the same MLP ({@link #mlp(ILossFunction, long)}).
 */
public final class MnistNetworks {

    /** Number of classes of MNIST and Fashion-MNIST. */
    public static final int CLASSES = 10;
    /** Pixels per image. */
    public static final int PIXELS = 28 * 28;

    /** Names of the distillation graph's vertices. */
    public static final String INPUT = "pixels";
    public static final String HARD = "hard";
    public static final String SOFT = "soft";

    private MnistNetworks() {
    }

    /** The configured output loss: {@code LossSoftmaxCrossEntropy} with the run's options, or {@code LossMCXENT}. */
    public static ILossFunction loss(TrainConfig c) {
        return switch (c.loss()) {
            case XENT4J -> new LossSoftmaxCrossEntropy(XentOptions.builder()
                    .labelSmoothing(c.labelSmoothing()).temperature(c.temperature()).build());
            case MCXENT -> new LossMCXENT();
        };
    }

    /** Adam's initial learning rate and its decay per epoch, as the app's defaults. */
    public static final double LEARNING_RATE = 1e-3;
    public static final double LR_DECAY = 0.8;

    private static NeuralNetConfiguration.Builder base(TrainConfig c) {
        return base(c.seed(), c.learningRate(), c.lrDecay());
    }

    private static NeuralNetConfiguration.Builder base(long seed, double learningRate, double lrDecay) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(new ExponentialSchedule(ScheduleType.EPOCH, learningRate, lrDecay)));
    }

    /** The MLP 784-512-256-10 with {@code loss} on its softmax output layer. */
    public static MultiLayerConfiguration mlpConfiguration(ILossFunction loss, long seed, double learningRate,
                                                           double lrDecay) {
        return base(seed, learningRate, lrDecay).list()
                .layer(dense(PIXELS, 512))
                .layer(dense(512, 256))
                .layer(new OutputLayer.Builder(loss).nIn(256).nOut(CLASSES).activation(Activation.SOFTMAX)
                        .weightInit(WeightInit.XAVIER).build())
                .build();
    }

    /** {@link #mlpConfiguration} with the default learning rate and decay. */
    public static MultiLayerConfiguration mlpConfiguration(ILossFunction loss, long seed) {
        return mlpConfiguration(loss, seed, LEARNING_RATE, LR_DECAY);
    }

    /** A fresh, initialised MLP ({@link #mlpConfiguration(ILossFunction, long)}): the same weights for the same seed. */
    public static MultiLayerNetwork mlp(ILossFunction loss, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(mlpConfiguration(loss, seed));
        net.init();
        return net;
    }

    /** The loss instance held by the configuration of {@code net}'s output layer. */
    public static ILossFunction outputLoss(MultiLayerNetwork net) {
        return ((org.deeplearning4j.nn.conf.layers.BaseOutputLayer) net.getOutputLayer().conf().getLayer()).getLossFn();
    }

    /** A fresh, initialised {@code MultiLayerNetwork} for {@code c.model()}. */
    public static MultiLayerNetwork network(TrainConfig c) {
        MultiLayerConfiguration conf = switch (c.model()) {
            case MLP -> mlpConfiguration(loss(c), c.seed(), c.learningRate(), c.lrDecay());
            case LENET -> base(c).list()
                    .layer(new ConvolutionLayer.Builder(5, 5).nIn(1).nOut(20).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(loss(c)).nOut(CLASSES).activation(Activation.SOFTMAX)
                            .weightInit(WeightInit.XAVIER).build())
                    .setInputType(InputType.convolutionalFlat(28, 28, 1))
                    .build();
            case STUDENT -> base(c).list()
                    .layer(dense(PIXELS, c.studentHidden()))
                    .layer(output(c, c.studentHidden()))
                    .build();
        };
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DenseLayer dense(int nIn, int nOut) {
        return new DenseLayer.Builder().nIn(nIn).nOut(nOut).activation(Activation.RELU).build();
    }

    private static OutputLayer output(TrainConfig c, int nIn) {
        return new OutputLayer.Builder(loss(c)).nIn(nIn).nOut(CLASSES).activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER).build();
    }

    /**
     * The student MLP (784-H-10) with two loss heads on its logits, so that one minibatch step
     * minimises Hinton's objective exactly:
     * <pre>{@code
     * loss = T² * CE(a * q, softmax(z / T))  +  CE((1 - a) * y, softmax(z))
     *      = a * T² * CE(q, softmax(z / T))  +  (1 - a) * CE(y, softmax(z))
     * }</pre>
     * {@code q = softmax(teacherLogits / T)}, {@code y} one-hot, {@code a} = alpha. Head
     * {@value #SOFT} is {@code LossSoftmaxCrossEntropy} with {@code temperature(T)}, trained on
     * the labels {@code a * q}; head {@value #HARD} is plain {@code LossSoftmaxCrossEntropy} on
     * {@code (1 - a) * y}. Cross-entropy is linear in the labels, and the xent4j gradient
     * {@code t * (p * sum(y) - y)} is exact for labels that sum to {@code a} or {@code 1 - a}
     * rather than 1 ({@code LossMCXENT}'s {@code p - y} is not), so scaling the labels is the
     * same as weighting the terms. DL4J adds the two heads' scores and gradients.
     *
     * <p>Outputs, in order: {@value #HARD} (softmax probabilities at temperature 1, what
     * evaluation uses) and {@value #SOFT} (the logits).
     */
    public static org.deeplearning4j.nn.graph.ComputationGraph distillationGraph(TrainConfig c) {
        TrainConfig.Distillation d = c.distillation();
        ComputationGraphConfiguration conf = base(c).graphBuilder()
                .addInputs(INPUT)
                .addLayer("hidden", dense(PIXELS, c.studentHidden()), INPUT)
                .addLayer("logits", new DenseLayer.Builder().nIn(c.studentHidden()).nOut(CLASSES)
                        .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).build(), "hidden")
                .addLayer(HARD, new LossLayer.Builder(new LossSoftmaxCrossEntropy())
                        .activation(Activation.SOFTMAX).build(), "logits")
                .addLayer(SOFT, new LossLayer.Builder(new LossSoftmaxCrossEntropy(
                        XentOptions.builder().temperature(d.temperature()).build()))
                        .activation(Activation.IDENTITY).build(), "logits")
                .setOutputs(HARD, SOFT)
                .build();
        org.deeplearning4j.nn.graph.ComputationGraph graph = new org.deeplearning4j.nn.graph.ComputationGraph(conf);
        graph.init();
        return graph;
    }

    /**
     * The logits (pre-softmax activations of the output layer) of a {@code MultiLayerNetwork}
     * whose last layer is an {@code OutputLayer}: computed from the last hidden activations and
     * the output layer's weights, never as {@code log(softmax)}, which loses the small
     * probabilities distillation needs once they underflow in float32.
     */
    public static INDArray logits(MultiLayerNetwork net, INDArray features) {
        int last = net.getnLayers() - 1;
        Layer out = net.getLayer(last);
        if (!(out.conf().getLayer() instanceof OutputLayer)) {
            throw new IllegalArgumentException("the teacher's last layer must be an OutputLayer, got "
                    + out.conf().getLayer().getClass().getSimpleName());
        }
        List<INDArray> acts = net.feedForwardToLayer(last - 1, features, false);
        INDArray hidden = acts.get(acts.size() - 1);
        return hidden.mmul(out.getParam("W")).addiRowVector(out.getParam("b"));
    }
}
