package io.github.xent4j.docs;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the README says about a wrong output activation: DL4J 1.0.0-M2.1 accepts the
 * configuration (it validates output layers for its own loss classes only), and the loss rejects
 * the activation, by name, at the first call that computes it: {@code score} and {@code fit}.
 */
class WrongActivationTest {

    @Test
    void aSigmoidOutputLayerBuildsAndFailsAtTheFirstScoreAndFit() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .list()
                .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy())
                        .nIn(4).nOut(3).activation(Activation.SIGMOID).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DataSet data = new DataSet(Nd4j.rand(DataType.FLOAT, 2, 4), Nd4j.createFromArray(new float[][] {{1, 0, 0}, {0, 1, 0}}));

        IllegalArgumentException score = assertThrows(IllegalArgumentException.class, () -> net.score(data));
        assertTrue(score.getMessage().toLowerCase(java.util.Locale.ROOT).contains("sigmoid"), score.getMessage());
        IllegalArgumentException fit = assertThrows(IllegalArgumentException.class, () -> net.fit(data));
        assertTrue(fit.getMessage().toLowerCase(java.util.Locale.ROOT).contains("sigmoid"), fit.getMessage());
    }
}
