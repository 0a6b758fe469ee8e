package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import static io.github.xent4j.examples.scaleout.ParallelWrapperTest.ALL;
import static io.github.xent4j.examples.scaleout.ParallelWrapperTest.assertAllOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import scala.reflect.ClassTag$;

/**
 * What a Spark cluster does to the network configuration on its way to the executors: Spark
 * serializes the broadcast with its configured serializer, Java's by default, or Kryo with
 * ND4J's registrator as DL4J recommends. (In {@code local[n]} the broadcast object is handed
 * over without serialization, so {@link SparkTrainingTest} cannot see this.) After either, the
 * loss must have every option and compute exactly what the original computes.
 */
class SparkSerializationTest {

    static Serializer serializer(String name) {
        SparkConf conf = new SparkConf();
        return switch (name) {
            case "java" -> new JavaSerializer(conf);
            case "kryo" -> new KryoSerializer(conf.set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator"));
            default -> throw new IllegalArgumentException(name);
        };
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(Serializer serializer, T value) {
        SerializerInstance s = serializer.newInstance();
        ByteBuffer bytes = s.serialize(value, ClassTag$.MODULE$.apply(Object.class));
        return (T) s.deserialize(bytes, ClassTag$.MODULE$.apply(Object.class));
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "kryo"})
    void configurationSurvivesSparkSerialization(String name) {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        MultiLayerConfiguration conf = MnistNetworks.mlpConfiguration(loss, 42);
        MultiLayerConfiguration copy = roundTrip(serializer(name), conf);
        MultiLayerNetwork net = new MultiLayerNetwork(copy);
        net.init();
        ILossFunction shipped = MnistNetworks.outputLoss(net);
        assertAllOptions(shipped, name + " serialization");

        // Same score and gradient as the original, on soft labels.
        INDArray logits = Nd4j.rand(DataType.FLOAT, 16, 10).subi(0.5).muli(6);
        INDArray labels = Nd4j.rand(DataType.FLOAT, 16, 10);
        ActivationSoftmax softmax = new ActivationSoftmax();
        assertEquals(loss.computeScore(labels, logits, softmax, null, true),
                shipped.computeScore(labels, logits, softmax, null, true), 0.0, name + ": score");
        INDArray g0 = loss.computeGradient(labels, logits, softmax, null);
        INDArray g1 = shipped.computeGradient(labels, logits, softmax, null);
        assertEquals(0.0, g0.sub(g1).amaxNumber().doubleValue(), 0.0, name + ": gradient");
    }
}
