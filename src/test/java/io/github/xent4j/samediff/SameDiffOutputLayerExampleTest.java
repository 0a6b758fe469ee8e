package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Example, not API: the op inside a DL4J {@link SameDiffOutputLayer}. It gives the same score and
 * gradients as an {@link OutputLayer} with {@link LossSoftmaxCrossEntropy}, but DL4J's SameDiff
 * layers ignore masks and cannot score examples, so xent4j ships no such layer: use
 * {@code OutputLayer}/{@code RnnOutputLayer}/{@code LossLayer} with {@code LossSoftmaxCrossEntropy}.
 */
class SameDiffOutputLayerExampleTest {

    /** Dense layer + softmax cross-entropy, defined in SameDiff. */
    public static class XentSameDiffOutputLayer extends SameDiffOutputLayer {
        private int nIn;
        private int nOut;

        public XentSameDiffOutputLayer() {
        }

        XentSameDiffOutputLayer(int nIn, int nOut) {
            this.nIn = nIn;
            this.nOut = nOut;
        }

        public int getNIn() {
            return nIn;
        }

        public void setNIn(int nIn) {
            this.nIn = nIn;
        }

        public int getNOut() {
            return nOut;
        }

        public void setNOut(int nOut) {
            this.nOut = nOut;
        }

        @Override
        public SDVariable defineLayer(SameDiff sd, SDVariable in, SDVariable labels, Map<String, SDVariable> p) {
            SDVariable logits = in.mmul(p.get("W")).add(p.get("b"));
            sd.nn.softmax("out", logits, 1);
            // SUM: SameDiffOutputLayer divides the score by the minibatch size itself (and the
            // updater divides the gradient); SUM is marked as the loss by XentSameDiff
            return XentSameDiff.softmaxCrossEntropy(sd, "loss", logits, labels, XentOptions.defaults(), LossReduce.SUM);
        }

        @Override
        public String activationsVertexName() {
            return "out";
        }

        @Override
        public void defineParameters(SDLayerParams params) {
            params.addWeightParam("W", nIn, nOut);
            params.addBiasParam("b", 1, nOut);
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
            params.get("W").assign(org.nd4j.linalg.factory.Nd4j.rand(params.get("W").dataType(),
                    params.get("W").shape()).subi(0.5));
            params.get("b").assign(0);
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return InputType.feedForward(nOut);
        }
    }

    static MultiLayerNetwork net(Layer output) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH).build())
                .layer(output)
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void sameScoreAndGradientsAsOutputLayerButNoScoreExamples() {
        Random rnd = new Random(61);
        MultiLayerNetwork sdNet = net(new XentSameDiffOutputLayer(6, 5));
        MultiLayerNetwork plain = net(new OutputLayer.Builder(new LossSoftmaxCrossEntropy()).nIn(6).nOut(5)
                .activation(Activation.SOFTMAX).build());
        for (String p : new String[]{"0_W", "0_b", "1_W", "1_b"}) {
            plain.setParam(p, sdNet.getParam(p).dup().reshape(plain.getParam(p).shape()));
        }
        DataSet ds = new DataSet(TestArrays.array(TestArrays.normal(rnd, 8, 4, 1), DataType.DOUBLE),
                TestArrays.array(TestArrays.softLabels(rnd, 8, 5, 1), DataType.DOUBLE));
        for (MultiLayerNetwork n : new MultiLayerNetwork[]{sdNet, plain}) {
            n.setInput(ds.getFeatures());
            n.setLabels(ds.getLabels());
            n.computeGradientAndScore();
        }
        assertEquals(plain.score(), sdNet.score(), 1e-12);
        Gradient a = sdNet.gradient();
        Gradient b = plain.gradient();
        for (String p : new String[]{"0_W", "0_b", "1_W", "1_b"}) {
            INDArray ga = a.getGradientFor(p);
            INDArray gb = b.getGradientFor(p).reshape(ga.shape());
            assertTrue(ga.equalsWithEps(gb, 1e-12), p + ": " + ga + " vs " + gb);
        }
        double before = sdNet.score(ds);
        for (int i = 0; i < 10; i++) {
            sdNet.fit(ds);
        }
        assertTrue(sdNet.score(ds) < before);
        assertThrows(UnsupportedOperationException.class, () -> sdNet.scoreExamples(ds, false),
                "DL4J's SameDiffOutputLayer now scores examples: revisit the decision not to ship a layer");
    }
}
