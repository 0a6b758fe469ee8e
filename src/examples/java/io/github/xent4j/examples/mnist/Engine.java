package io.github.xent4j.examples.mnist;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What trains a network: builds it from a {@link TrainConfig} and restores it from a checkpoint.
 * Everything else (data, epochs, progress, checkpoints, metrics, plots) is shared by
 * {@link Trainer}, so a new engine is one class implementing this interface.
 *
 * <p>Engines are found by name through {@link Engines#forName(String)}: {@code dl4j} is
 * {@link Dl4jEngine}; {@code samediff} is {@link SameDiffEngine}, the MLP in SameDiff with
 * {@code XentSameDiff.softmaxCrossEntropy}.
 */
public interface Engine {

    /** The {@code --engine} value that selects this engine. */
    String name();

    /**
     * Checks that this engine can train {@code config}, before any data is loaded.
     *
     * @throws IllegalArgumentException if it cannot (for example a model kind it does not
     *                                  implement); the message is shown to the user as it is
     */
    default void check(TrainConfig config) {
    }

    /**
     * A freshly initialised model for {@code config}.
     *
     * @throws IllegalArgumentException if this engine cannot train that configuration (for
     *                                  example a model kind it does not implement); the
     *                                  message is shown to the user as it is
     */
    TrainableModel create(TrainConfig config);

    /**
     * Restores a model, with its optimiser state, from a checkpoint written by
     * {@link TrainableModel#save(Path)} (the checkpoint may contain further entries).
     *
     * @param config the configuration stored with the checkpoint
     */
    TrainableModel restore(Path checkpoint, TrainConfig config) throws IOException;
}
