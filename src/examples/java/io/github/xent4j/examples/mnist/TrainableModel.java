package io.github.xent4j.examples.mnist;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;

/** A network being trained by an {@link Engine}: the few operations {@link Trainer} needs. */
public interface TrainableModel {

    /**
     * One optimiser step on a minibatch.
     *
     * @param features FLOAT {@code [B, 784]}, pixels in [0, 1]
     * @param labels   FLOAT {@code [B, 10]} one-hot, or, for distillation, {@code [B, 20]}:
     *                 {@code alpha * q} then {@code (1 - alpha) * y} (see
     *                 {@link MnistNetworks#distillationGraph})
     * @return the minibatch's mean loss before the step
     */
    double fit(INDArray features, INDArray labels);

    /** Class probabilities {@code [B, 10]} at temperature 1, for evaluation. */
    INDArray predict(INDArray features);

    /**
     * Marks the end of an epoch: advances the epoch counter that the learning-rate schedule
     * reads.
     */
    void endEpoch();

    /** Epochs completed, as the model itself counts them (restored from checkpoints). */
    int epochCount();

    /** Number of trainable parameters. */
    long numParams();

    /** All parameters as one flat array (a copy). */
    INDArray params();

    /** Writes the model and its optimiser state as a zip file at {@code file} (which must not matter if it exists). */
    void save(Path file) throws IOException;

    /** What the model is, for the summary line: e.g. {@code MultiLayerNetwork, 535,818 parameters}. */
    String describe();
}
