package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Training with {@code sd.fit}: a SameDiff MLP using the op follows the loss curve of the same
 * {@link MultiLayerNetwork} with {@link LossSoftmaxCrossEntropy} (same data, initial parameters
 * and updater). The SameDiff loss is the MEAN: DL4J divides score and gradient by the minibatch
 * size, so a SUM loss would take N times larger steps.
 */
class SameDiffTrainingTest {
    static final int IN = 6;
    static final int HIDDEN = 8;
    static final int K = 4;

    static MultiLayerNetwork network(XentOptions o, IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(7)
                .dataType(DataType.DOUBLE)
                .updater(updater)
                .list()
                .layer(new DenseLayer.Builder().nIn(IN).nOut(HIDDEN).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy(o)).nIn(HIDDEN).nOut(K)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** The same MLP in SameDiff, starting from the network's parameters. */
    static SameDiff sameDiff(MultiLayerNetwork net, XentOptions o, IUpdater updater, boolean mask) {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.DOUBLE, -1, IN);
        SDVariable label = sd.placeHolder("label", DataType.DOUBLE, -1, K);
        SDVariable w0 = sd.var("w0", net.getParam("0_W").dup());
        SDVariable b0 = sd.var("b0", net.getParam("0_b").dup());
        SDVariable w1 = sd.var("w1", net.getParam("1_W").dup());
        SDVariable b1 = sd.var("b1", net.getParam("1_b").dup());
        SDVariable logits = sd.math.tanh(in.mmul(w0).add(b0)).mmul(w1).add("logits", b1);
        SDVariable m = mask ? sd.placeHolder("mask", DataType.DOUBLE, -1, 1) : null;
        XentSameDiff.softmaxCrossEntropy(sd, "loss", logits, label, m, o, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        TrainingConfig.Builder tc = TrainingConfig.builder().updater(updater)
                .dataSetFeatureMapping("in").dataSetLabelMapping("label");
        if (mask) {
            tc.dataSetLabelMaskMapping("mask");
        }
        sd.setTrainingConfig(tc.build());
        return sd;
    }

    static DataSet[] batches(Random rnd, int count, int n, boolean mask) {
        DataSet[] b = new DataSet[count];
        for (int i = 0; i < count; i++) {
            INDArray x = TestArrays.array(TestArrays.normal(rnd, n, IN, 1), DataType.DOUBLE);
            INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, K, 1), DataType.DOUBLE);
            INDArray m = null;
            if (mask) {
                m = Nd4j.ones(DataType.DOUBLE, n, 1);
                m.putScalar(1, 0, 0.0);
                y.putScalar(1, 0, Double.NaN);       // garbage in the masked row
            }
            b[i] = new DataSet(x, y, null, m);
        }
        return b;
    }

    private static void sameLossCurve(XentOptions o, IUpdater updater, boolean mask) {
        Random rnd = new Random(99);
        MultiLayerNetwork net = network(o, updater);
        SameDiff sd = sameDiff(net, o, updater.clone(), mask);
        DataSet[] data = batches(rnd, 4, 8, mask);
        double first = 0;
        double last = 0;
        for (int step = 0; step < 24; step++) {
            DataSet ds = data[step % data.length];
            Map<String, INDArray> ph = mask
                    ? Map.of("in", ds.getFeatures(), "label", ds.getLabels(), "mask", ds.getLabelsMaskArray())
                    : Map.of("in", ds.getFeatures(), "label", ds.getLabels());
            double sdLoss = sd.outputSingle(ph, "loss").getDouble(0);
            net.setLayerMaskArrays(null, ds.getLabelsMaskArray());
            double dl4jScore = net.score(ds);
            assertTrue(Double.isFinite(sdLoss), "finite loss at step " + step + ": " + sdLoss);
            assertEquals(dl4jScore, sdLoss, 1e-10 * Math.max(1, Math.abs(dl4jScore)),
                    o + " " + updater + " mask=" + mask + ": step " + step);
            if (step == 0) {
                first = sdLoss;
            }
            last = sdLoss;
            net.fit(ds);
            sd.fit(ds);
        }
        assertTrue(last < first, "training reduces the loss: " + first + " -> " + last);
        for (String[] p : new String[][]{{"0_W", "w0"}, {"0_b", "b0"}, {"1_W", "w1"}, {"1_b", "b1"}}) {
            INDArray a = net.getParam(p[0]);
            INDArray b = sd.getVariable(p[1]).getArr();
            assertTrue(a.equalsWithEps(b, 1e-9), p[0] + ": " + a + " vs " + b);
        }
    }

    @Test
    void mlpFollowsTheMultiLayerNetworkLossCurveWithSgd() {
        sameLossCurve(XentOptions.defaults(), new Sgd(0.5), false);
    }

    @Test
    void mlpFollowsTheMultiLayerNetworkLossCurveWithAdamOptionsAndMask() {
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).zLoss(1e-3).classWeights(new double[]{1, 2, 0.5, 1})
                .build();
        sameLossCurve(o, new Adam(0.02), true);
    }

    /**
     * What {@code sd.fit} reports: SameDiff records a loss only when the loss variable's op runs
     * during the training iteration, so a loss op that the gradient pass does not execute shows
     * up as 0 in the History and in listeners' {@code iterationDone}.
     */
    @Test
    void fitReportsTheLossBeforeTheStep() {
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).build();
        MultiLayerNetwork net = network(o, new Sgd(0.1));
        SameDiff sd = sameDiff(net, o, new Sgd(0.1), false);
        DataSet ds = batches(new Random(3), 1, 8, false)[0];
        Map<String, INDArray> ph = Map.of("in", ds.getFeatures(), "label", ds.getLabels());
        double[] reported = new double[3];
        sd.setListeners(new org.nd4j.autodiff.listeners.BaseListener() {
            @Override
            public boolean isActive(org.nd4j.autodiff.listeners.Operation operation) {
                return true;
            }

            @Override
            public void iterationDone(SameDiff s, org.nd4j.autodiff.listeners.At at,
                                      org.nd4j.linalg.dataset.api.MultiDataSet batch,
                                      org.nd4j.autodiff.listeners.Loss loss) {
                reported[at.iteration()] = loss.getLoss("loss");
            }
        });
        double before = sd.outputSingle(ph, "loss").getDouble(0);
        sd.fit(ds);
        assertEquals(before, reported[0], 1e-12, "listener's loss of iteration 0");
        double second = sd.outputSingle(ph, "loss").getDouble(0);
        org.nd4j.autodiff.listeners.records.History h =
                sd.fit(new org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator(ds), 1);
        assertEquals(second, reported[1], 1e-12, "listener's loss of iteration 1");
        // LossCurve keeps its values in a float array
        assertEquals(second, h.lossCurve().lastMeanLoss("loss"), 1e-6 * second, "History's loss curve");
        assertTrue(second < before, before + " -> " + second);
    }

    @Test
    void focalLossTrainsWithFit() {
        Random rnd = new Random(5);
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, IN);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, K);
        SDVariable w = sd.var("w", Nd4j.randn(DataType.FLOAT, IN, K).muli(0.3));
        SDVariable logits = in.mmul(w);
        SameDiffGradCheckTest.focalLoss(sd, logits, label, 16).markAsLoss();
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(0.05))
                .dataSetFeatureMapping("in").dataSetLabelMapping("label").build());
        INDArray x = TestArrays.array(TestArrays.normal(rnd, 16, IN, 1), DataType.FLOAT);
        int[] ids = new int[16];
        for (int i = 0; i < 16; i++) {
            ids[i] = x.getDouble(i, 0) > 0 ? (x.getDouble(i, 1) > 0 ? 0 : 1) : (x.getDouble(i, 2) > 0 ? 2 : 3);
        }
        INDArray y = TestArrays.array(TestArrays.oneHot(ids, K), DataType.FLOAT);
        DataSet ds = new DataSet(x, y);
        Map<String, INDArray> ph = Map.of("in", x, "label", y);
        double before = sd.outputSingle(ph, "focal").getDouble(0);
        for (int i = 0; i < 40; i++) {
            sd.fit(ds);
        }
        double after = sd.outputSingle(ph, "focal").getDouble(0);
        assertTrue(after < 0.5 * before, "focal loss " + before + " -> " + after);
    }
}
