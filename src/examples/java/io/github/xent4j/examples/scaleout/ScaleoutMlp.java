package io.github.xent4j.examples.scaleout;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The MNIST MLP the scale-out examples train: 784-512-256-10, ReLU, float32, He initialisation
 * (Xavier for the output layer), softmax output, Adam whose learning rate is multiplied by
 * {@code lrDecay} after every epoch (a schedule on DL4J's epoch counter).
 *
 * <p>The same architecture and optimiser as the MNIST example app's {@code mlp} model
 * ({@code io.github.xent4j.examples.mnist.Networks}); this is its only definition in the
 * scale-out examples, so that it can be pointed at the shared one.
 */
public final class ScaleoutMlp {

    /** Pixels per image. */
    public static final int PIXELS = 28 * 28;
    /** Number of classes. */
    public static final int CLASSES = 10;
    /** Adam's initial learning rate and its decay per epoch, as the MNIST app's defaults. */
    public static final double LEARNING_RATE = 1e-3;
    public static final double LR_DECAY = 0.8;

    private ScaleoutMlp() {
    }

    /** The configuration, with {@code loss} on the output layer. */
    public static MultiLayerConfiguration configuration(ILossFunction loss, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(new ExponentialSchedule(ScheduleType.EPOCH, LEARNING_RATE, LR_DECAY)))
                .list()
                .layer(new DenseLayer.Builder().nIn(PIXELS).nOut(512).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(512).nOut(256).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(loss).nIn(256).nOut(CLASSES).activation(Activation.SOFTMAX)
                        .weightInit(WeightInit.XAVIER).build())
                .build();
    }

    /** A fresh, initialised network: the same weights for the same seed. */
    public static MultiLayerNetwork create(ILossFunction loss, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(loss, seed));
        net.init();
        return net;
    }

    /**
     * The loss function {@code net}'s output layer computes with: the instance held by the
     * configuration of the network's output layer.
     */
    public static ILossFunction outputLoss(MultiLayerNetwork net) {
        return ((BaseOutputLayer) net.getOutputLayer().conf().getLayer()).getLossFn();
    }
}
