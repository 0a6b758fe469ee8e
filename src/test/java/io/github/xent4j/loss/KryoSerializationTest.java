package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.github.xent4j.OptionSets;
import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Kryo, configured as Spark's {@code KryoSerializer} configures it (any class, instances made
 * without calling a constructor, fields copied, transient fields skipped, no
 * {@code readResolve}), round-trips the loss to an instance that computes exactly what the
 * original computes. This is what a Spark cluster with {@code spark.serializer=KryoSerializer}
 * (DL4J's recommendation) does to the network configuration it broadcasts to the executors.
 */
class KryoSerializationTest {

    static Kryo sparkLikeKryo() {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(false);
        kryo.setReferences(true);
        kryo.setInstantiatorStrategy(new Kryo.DefaultInstantiatorStrategy(
                new org.objenesis.strategy.StdInstantiatorStrategy()));
        return kryo;
    }

    static Object roundTrip(Object value) {
        Kryo kryo = sparkLikeKryo();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Output out = new Output(bytes)) {
            kryo.writeClassAndObject(out, value);
        }
        try (Input in = new Input(bytes.toByteArray())) {
            return kryo.readClassAndObject(in);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "weights", "smoothing", "temperature", "zloss", "all"})
    void kryoCopyComputesExactlyWhatTheOriginalComputes(String name) {
        Random rnd = new Random(7);
        int k = 6;
        XentOptions o = OptionSets.of(name, k, rnd);
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(o);
        LossSoftmaxCrossEntropy copy = (LossSoftmaxCrossEntropy) roundTrip(loss);
        assertEquals(loss, copy);

        INDArray logits = TestArrays.array(TestArrays.normal(rnd, 5, k, 3), DataType.DOUBLE);
        INDArray labels = TestArrays.array(TestArrays.softLabels(rnd, 5, k, 1.5), DataType.DOUBLE);
        ActivationSoftmax softmax = new ActivationSoftmax();
        assertEquals(loss.computeScore(labels, logits, softmax, null, false),
                copy.computeScore(labels, logits, softmax, null, false), 0.0, "score");
        assertEquals(loss.computeGradient(labels, logits, softmax, null),
                copy.computeGradient(labels, logits, softmax, null), "gradient");
        assertEquals(0.0, loss.computeGradient(labels, logits, softmax, null)
                .sub(copy.computeGradient(labels, logits, softmax, null)).amaxNumber().doubleValue(), 0.0, "gradient");
    }
}
