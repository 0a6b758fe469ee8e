package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** Training through every kind of DL4J loss layer actually learns, and padding never poisons a batch. */
class LayerTrainingTest {
    static final XentOptions SMOOTH = XentOptions.builder().labelSmoothing(0.1).build();

    /** Three Gaussian blobs in 4-D; labels one-hot. */
    static DataSet blobs(Random rnd, int n) {
        double[][] x = new double[n][4];
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 3;
            for (int j = 0; j < 4; j++) {
                x[i][j] = rnd.nextGaussian() * 0.5 + (j == ids[i] ? 2 : 0);
            }
        }
        return new DataSet(TestArrays.array(x, DataType.FLOAT), TestArrays.array(TestArrays.oneHot(ids, 3), DataType.FLOAT));
    }

    static double accuracy(INDArray probs, INDArray labels) {
        return probs.argMax(1).eq(labels.argMax(1)).castTo(DataType.FLOAT).meanNumber().doubleValue();
    }

    @Test
    void outputLayerLearns() {
        DataSet data = blobs(new Random(1), 150);
        MultiLayerNetwork net = Networks.mlp(DataType.FLOAT, new Adam(0.05), SMOOTH, Activation.SOFTMAX, 4, 3);
        double before = net.score(data);
        for (int i = 0; i < 60; i++) {
            net.fit(data);
        }
        assertTrue(net.score(data) < before / 3, before + " -> " + net.score(data));
        assertTrue(accuracy(net.output(data.getFeatures()), data.getLabels()) > 0.95);
    }

    @Test
    void rnnWithVariableLengthSequencesIgnoresGarbageInPadding() {
        Random rnd = new Random(2);
        int n = 8;
        int steps = 6;
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 2, steps);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3, steps);
        INDArray mask = Nd4j.zeros(DataType.FLOAT, n, steps);
        for (int i = 0; i < n; i++) {
            int length = 2 + rnd.nextInt(steps - 1);
            for (int t = 0; t < steps; t++) {
                if (t < length) {
                    mask.putScalar(i, t, 1);
                    // class = which input channel is larger: learnable
                    int c = x.getDouble(i, 0, t) > x.getDouble(i, 1, t) ? 0 : 1;
                    y.putScalar(new int[]{i, c, t}, 1);
                } else {
                    y.putScalar(new int[]{i, 0, t}, Double.NaN);     // padding holds garbage
                    y.putScalar(new int[]{i, 1, t}, -3);
                }
            }
        }
        DataSet data = new DataSet(x, y, null, mask);
        MultiLayerNetwork net = Networks.rnn(DataType.FLOAT, new Adam(0.05), SMOOTH, 2, 3);
        double before = net.score(data);
        for (int i = 0; i < 40; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(Double.isFinite(after) && !net.params().isNaN().any(), "finite parameters");
        assertTrue(after < before * 0.7, before + " -> " + after);
    }

    @Test
    void cnnLossLayerLearnsPerPixelClasses() {
        int n = 6;
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 2, 4, 4);
        // class per pixel = which channel is larger
        INDArray first = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0));
        INDArray second = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(1));
        INDArray c0 = first.gt(second).castTo(DataType.FLOAT);
        INDArray y = Nd4j.stack(1, c0, c0.rsub(1), Nd4j.zeros(DataType.FLOAT, n, 4, 4));
        DataSet data = new DataSet(x, y);
        MultiLayerNetwork net = Networks.cnn(DataType.FLOAT, new Adam(0.05), SMOOTH, 2, 3, 4, 4);
        double before = net.score(data);
        for (int i = 0; i < 60; i++) {
            net.fit(data);
        }
        assertTrue(net.score(data) < before / 2, before + " -> " + net.score(data));
    }

    @Test
    void lossLayerAndComputationGraphLearn() {
        DataSet data = blobs(new Random(3), 150);
        MultiLayerNetwork net = Networks.lossLayer(DataType.FLOAT, new Adam(0.05), SMOOTH, 4, 3);
        double before = net.score(data);
        for (int i = 0; i < 60; i++) {
            net.fit(data);
        }
        assertTrue(net.score(data) < before / 2, "LossLayer " + before + " -> " + net.score(data));

        ComputationGraphConfiguration conf = Networks.base(DataType.FLOAT, new Adam(0.05), 4).graphBuilder()
                .addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(new LossSoftmaxCrossEntropy(SMOOTH)).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        double gBefore = graph.score(data);
        for (int i = 0; i < 60; i++) {
            graph.fit(data);
        }
        assertTrue(graph.score(data) < gBefore / 3, "graph " + gBefore + " -> " + graph.score(data));
        assertTrue(accuracy(graph.outputSingle(data.getFeatures()), data.getLabels()) > 0.95);
    }

    @Test
    void perOutputLabelMaskInTraining() {
        DataSet data = blobs(new Random(4), 90);
        INDArray labelMask = Nd4j.ones(DataType.FLOAT, 90, 3);
        labelMask.putScalar(0, 2, 0);   // class 2 not available for example 0 (its label is class 0)
        data.setLabelsMaskArray(labelMask);
        MultiLayerNetwork net = Networks.mlp(DataType.FLOAT, new Adam(0.05), SMOOTH, Activation.SOFTMAX, 4, 3);
        double before = net.score(data);
        for (int i = 0; i < 40; i++) {
            net.fit(data);
        }
        assertTrue(net.score(data) < before / 2, before + " -> " + net.score(data));
    }
}
