package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.xent4j.XentOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An empty minibatch {@code [0, K]}: empty results and a score of 0, averaged or not. */
class EmptyBatchTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void emptyBatch(DataType type) {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(XentOptions.builder().labelSmoothing(0.1).build());
        INDArray z = Nd4j.create(type, 0, 5);
        ActivationSoftmax softmax = new ActivationSoftmax();
        for (INDArray labels : new INDArray[]{Nd4j.create(type, 0, 5), Nd4j.create(DataType.INT32, 0, 1)}) {
            for (INDArray mask : new INDArray[]{null, Nd4j.create(type, 0, 1)}) {
                assertArrayEquals(new long[]{0, 1}, loss.computeScoreArray(labels, z, softmax, mask).shape());
                assertArrayEquals(new long[]{0, 5}, loss.computeGradient(labels, z, softmax, mask).shape());
                assertEquals(0.0, loss.computeScore(labels, z, softmax, mask, false), 0.0);
                assertEquals(0.0, loss.computeScore(labels, z, softmax, mask, true), 0.0);   // not 0 / 0
                Pair<Double, INDArray> both = loss.computeGradientAndScore(labels, z, softmax, mask, true);
                assertEquals(0.0, both.getFirst(), 0.0);
                assertArrayEquals(new long[]{0, 5}, both.getSecond().shape());
            }
        }
    }
}
