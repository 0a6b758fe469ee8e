package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.OptionSets;
import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Finite-difference gradient checks in float64 through real DL4J layers, with DL4J's own
 * tolerances for loss functions (eps 1e-6, max relative error 1e-5, min absolute error 1e-8).
 */
class GradientCheckTest {
    static final double EPS = 1e-6;
    static final double MAX_REL_ERROR = 1e-5;
    static final double MIN_ABS_ERROR = 1e-8;
    private static DataType savedType;
    private static DataType savedFloatType;

    @BeforeAll
    static void useDouble() {
        savedType = Nd4j.dataType();
        savedFloatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(savedType, savedFloatType);
    }

    static final String[] OPTION_SETS = OptionSets.NAMES;

    static XentOptions options(String name, int k) {
        return OptionSets.of(name, k, new Random(17));
    }

    static Stream<Arguments> outputLayerCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String o : OPTION_SETS) {
            for (int minibatch : new int[]{1, 4}) {
                for (String labels : new String[]{"soft", "unnormalised", "ids"}) {
                    b.add(Arguments.of(o, minibatch, labels));
                }
            }
        }
        return b.build();
    }

    static INDArray labels(String kind, Random rnd, int n, int k) {
        switch (kind) {
            case "soft":
                return TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), DataType.DOUBLE);
            case "unnormalised":
                return TestArrays.array(TestArrays.softLabels(rnd, n, k, 1.6), DataType.DOUBLE);
            default:
                return Nd4j.createFromArray(TestArrays.classIds(rnd, n, k)).reshape(n, 1).castTo(DataType.DOUBLE);
        }
    }

    static boolean check(MultiLayerNetwork net, INDArray input, INDArray labels, INDArray labelMask) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(input).labels(labels)
                .labelMask(labelMask).epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
    }

    @ParameterizedTest(name = "{0} minibatch {1} {2}")
    @MethodSource("outputLayerCases")
    void outputLayer(String optionSet, int minibatch, String labelKind) {
        Random rnd = new Random(minibatch * 31L + optionSet.hashCode());
        int k = 3;
        MultiLayerNetwork net = Networks.mlp(DataType.DOUBLE, new NoOp(), options(optionSet, k), Activation.SOFTMAX, 4, k);
        INDArray x = TestArrays.array(TestArrays.normal(rnd, minibatch, 4, 1), DataType.DOUBLE);
        assertTrue(check(net, x, labels(labelKind, rnd, minibatch, k), null));
    }

    @Test
    void outputLayerWithIdentityActivationAndPerOutputMask() {
        Random rnd = new Random(3);
        int k = 4;
        MultiLayerNetwork net = Networks.mlp(DataType.DOUBLE, new NoOp(), options("all", k), Activation.IDENTITY, 4, k);
        INDArray x = TestArrays.array(TestArrays.normal(rnd, 3, 4, 1), DataType.DOUBLE);
        INDArray y = labels("unnormalised", rnd, 3, k);
        INDArray mask = Nd4j.createFromArray(new double[][]{{1, 0, 1, 1}, {1, 1, 1, 1}, {0, 1, 1, 0}});
        assertTrue(check(net, x, y, mask));
    }

    @Test
    void rnnOutputLayerWithLabelMask() {
        Random rnd = new Random(5);
        int n = 3;
        int k = 3;
        int steps = 4;
        for (String o : OPTION_SETS) {
            MultiLayerNetwork net = Networks.rnn(DataType.DOUBLE, new NoOp(), options(o, k), 2, k);
            INDArray x = Nd4j.rand(DataType.DOUBLE, n, 2, steps).subi(0.5);
            INDArray y = Nd4j.rand(DataType.DOUBLE, n, k, steps).muli(1.3);   // soft, unnormalised
            INDArray mask = Nd4j.createFromArray(new double[][]{{1, 1, 1, 1}, {1, 1, 0, 0}, {1, 0, 0, 0}});
            assertTrue(check(net, x, y, mask), o);
        }
        // minibatch 1 (DL4J passes TAD views then)
        MultiLayerNetwork net = Networks.rnn(DataType.DOUBLE, new NoOp(), options("all", k), 2, k);
        assertTrue(check(net, Nd4j.rand(DataType.DOUBLE, 1, 2, steps), Nd4j.rand(DataType.DOUBLE, 1, k, steps),
                Nd4j.createFromArray(new double[][]{{1, 1, 1, 0}})));
    }

    @Test
    void cnnLossLayerPerPixelClasses() {
        int k = 3;
        for (String o : new String[]{"plain", "smoothing", "all"}) {
            for (int n : new int[]{1, 2}) {
                MultiLayerNetwork net = Networks.cnn(DataType.DOUBLE, new NoOp(), options(o, k), 2, k, 3, 3);
                INDArray x = Nd4j.rand(DataType.DOUBLE, n, 2, 3, 3).subi(0.5);
                INDArray y = Nd4j.rand(DataType.DOUBLE, n, k, 3, 3);
                assertTrue(check(net, x, y, null), o + " n=" + n);
            }
        }
    }

    @Test
    void lossLayer() {
        Random rnd = new Random(8);
        MultiLayerNetwork net = Networks.lossLayer(DataType.DOUBLE, new NoOp(), options("all", 4), 3, 4);
        assertTrue(check(net, TestArrays.array(TestArrays.normal(rnd, 5, 3, 1), DataType.DOUBLE),
                labels("unnormalised", rnd, 5, 4), null));
    }

    @Test
    void computationGraph() {
        Random rnd = new Random(9);
        int k = 3;
        ComputationGraphConfiguration conf = Networks.base(DataType.DOUBLE, new NoOp(), 7).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(new LossSoftmaxCrossEntropy(options("all", k))).nIn(5).nOut(k)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        INDArray x = TestArrays.array(TestArrays.normal(rnd, 4, 4, 1), DataType.DOUBLE);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{labels("unnormalised", rnd, 4, k)})
                .epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }
}
