package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.serde.JsonMappers;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** Every option survives JSON, YAML, ModelSerializer and Java serialization. */
class SerializationTest {
    static final XentOptions ALL = XentOptions.builder().classWeights(new double[]{0.5, 1, 2, 4}).labelSmoothing(0.1)
            .temperature(3).zLoss(1e-4).ignoreIndex(2).build();

    static XentOptions lossOptions(MultiLayerConfiguration conf, int layer) {
        ILossFunction f = ((BaseOutputLayer) conf.getConf(layer).getLayer()).getLossFn();
        return ((LossSoftmaxCrossEntropy) f).getOptions();
    }

    @Test
    void lossFunctionJsonRoundTripWithDl4jMapper() throws Exception {
        for (XentOptions o : new XentOptions[]{XentOptions.defaults(), ALL}) {
            LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(o);
            String json = JsonMappers.getMapper().writeValueAsString(loss);
            assertTrue(json.contains("io.github.xent4j.loss.LossSoftmaxCrossEntropy"), json);
            ILossFunction back = JsonMappers.getMapper().readValue(json, ILossFunction.class);
            assertEquals(loss, back);
            assertEquals(o, ((LossSoftmaxCrossEntropy) back).getOptions());
        }
    }

    @Test
    void optionsMissingFromJsonTakeTheirDefaults() throws Exception {
        String json = "{\"@class\":\"io.github.xent4j.loss.LossSoftmaxCrossEntropy\",\"options\":{\"temperature\":2.0}}";
        ILossFunction back = JsonMappers.getMapper().readValue(json, ILossFunction.class);
        assertEquals(XentOptions.builder().temperature(2).build(), ((LossSoftmaxCrossEntropy) back).getOptions());
    }

    @Test
    void multiLayerConfigurationJsonAndYaml() {
        MultiLayerConfiguration conf = Networks.mlp(DataType.FLOAT, new Adam(1e-2), ALL, Activation.SOFTMAX, 3, 4)
                .getLayerWiseConfigurations();
        MultiLayerConfiguration fromJson = MultiLayerConfiguration.fromJson(conf.toJson());
        MultiLayerConfiguration fromYaml = MultiLayerConfiguration.fromYaml(conf.toYaml());
        assertEquals(conf, fromJson);
        assertEquals(conf, fromYaml);
        assertEquals(ALL, lossOptions(fromJson, 1));
        assertEquals(ALL, lossOptions(fromYaml, 1));
    }

    @Test
    void computationGraphConfigurationJsonAndYaml() {
        ComputationGraphConfiguration conf = Networks.base(DataType.FLOAT, new Adam(1e-2), 1).graphBuilder()
                .addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(3).nOut(5).build(), "in")
                .addLayer("out", new OutputLayer.Builder(new LossSoftmaxCrossEntropy(ALL)).nIn(5).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out").build();
        for (ComputationGraphConfiguration back : new ComputationGraphConfiguration[]{
                ComputationGraphConfiguration.fromJson(conf.toJson()),
                ComputationGraphConfiguration.fromYaml(conf.toYaml())}) {
            assertEquals(conf, back);
            ILossFunction f = ((BaseOutputLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex) back.getVertices()
                    .get("out")).getLayerConf().getLayer()).getLossFn();
            assertEquals(ALL, ((LossSoftmaxCrossEntropy) f).getOptions());
        }
    }

    @Test
    void javaSerialization() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new LossSoftmaxCrossEntropy(ALL));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            LossSoftmaxCrossEntropy back = (LossSoftmaxCrossEntropy) in.readObject();
            assertEquals(ALL, back.getOptions());
            assertEquals(ALL.toString(), back.getOptions().toString());
        }
    }

    @Test
    void modelSerializerRestoreThenTrainingContinuesIdentically(@TempDir Path dir) throws Exception {
        Random rnd = new Random(1);
        XentOptions o = ALL.toBuilder().ignoreIndex(-1).build();
        MultiLayerNetwork net = Networks.mlp(DataType.FLOAT, new Adam(1e-2), o, Activation.SOFTMAX, 3, 4);
        DataSet data = new DataSet(TestArrays.array(TestArrays.normal(rnd, 16, 3, 1), DataType.FLOAT),
                TestArrays.array(TestArrays.softLabels(rnd, 16, 4, 1.2), DataType.FLOAT));
        for (int i = 0; i < 5; i++) {
            net.fit(data);
        }
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = MultiLayerNetwork.load(file, true);
        assertEquals(net.params(), restored.params());
        assertEquals(o, lossOptions(restored.getLayerWiseConfigurations(), 1));
        assertEquals(net.score(data), restored.score(data), 0.0);
        for (int i = 0; i < 5; i++) {
            net.fit(data);
            restored.fit(data);
        }
        INDArray a = net.params();
        INDArray b = restored.params();
        assertEquals(a, b, "parameters after 5 more steps");
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }
}
