package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The kernel against the float64 reference, for every data type, option and label kind. */
class XentKernelTest {

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        DataType[] types = {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.BFLOAT16};
        String[] labelKinds = {"soft", "unnormalised", "onehot", "ids"};
        for (DataType type : types) {
            for (String options : OptionSets.NAMES) {
                for (String labels : labelKinds) {
                    list.add(Arguments.of(type, options, labels));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesReference(DataType type, String optionSet, String labelKind) {
        Random rnd = new Random(42 + optionSet.hashCode() * 31L + labelKind.hashCode());
        int n = 9;
        int k = 6;
        XentOptions o = OptionSets.of(optionSet, k, rnd);
        INDArray logits = TestArrays.array(TestArrays.normal(rnd, n, k, 4), type);
        INDArray labels;
        double[][] refLabels;
        switch (labelKind) {
            case "soft":
                labels = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), type);
                refLabels = TestArrays.values(labels);
                break;
            case "unnormalised":
                labels = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1.7), type);
                refLabels = TestArrays.values(labels);
                break;
            case "onehot":
                labels = TestArrays.array(TestArrays.oneHot(TestArrays.classIds(rnd, n, k), k), type);
                refLabels = TestArrays.values(labels);
                break;
            default:
                int[] ids = TestArrays.classIds(rnd, n, k);
                labels = Nd4j.createFromArray(ids).reshape(n, 1);
                refLabels = TestArrays.oneHot(ids, k);
        }
        KernelChecks.check(logits, labels, null, o, refLabels, null, null);
    }

    @Test
    void manyClassesFloat() {
        Random rnd = new Random(7);
        for (int k : new int[]{1000, 32000}) {
            int n = 3;
            INDArray logits = TestArrays.array(TestArrays.normal(rnd, n, k, 5), DataType.FLOAT);
            INDArray labels = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), DataType.FLOAT);
            XentOptions o = XentOptions.builder().labelSmoothing(0.05).zLoss(1e-4).temperature(2).build();
            KernelChecks.check(logits, labels, null, o, TestArrays.values(labels), null, null);
        }
    }

    @Test
    void viewsAndFortranOrderInputs() {
        Random rnd = new Random(11);
        INDArray big = TestArrays.array(TestArrays.normal(rnd, 12, 9, 3), DataType.FLOAT).dup('f');
        INDArray logits = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 9),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 7));
        INDArray labels = TestArrays.array(TestArrays.softLabels(rnd, 7, 6, 1.3), DataType.FLOAT).dup('f');
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).temperature(2).build();
        KernelChecks.check(logits, labels, null, o, TestArrays.values(labels), null, null);
    }

    @Test
    void logSumExpAndLogSoftmaxPerSlice() {
        double[][] x = {{0, 1000, 0}, {1, 2, 3}, {-1000, 0, 1000},
                {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}};
        KernelVariants.forEach(path -> logSumExpAndLogSoftmaxPerSlice(path, x));
    }

    private static void logSumExpAndLogSoftmaxPerSlice(KernelPath path, double[][] x) {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = TestArrays.array(x, type);
            double[] lse = TestArrays.vector(path.logSumExp(a, 1, false));
            assertEquals(1000 + Math.log(1 + 2 * Math.exp(-1000)), lse[0], 1e-3);
            assertEquals(3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), lse[1], 1e-6);
            assertEquals(1000, lse[2], 1e-3);
            assertEquals(Double.NEGATIVE_INFINITY, lse[3]);
            double[][] ls = TestArrays.values(path.logSoftmax(a, -1));
            assertEquals(-1000, ls[0][0], 1e-3);
            assertEquals(0, ls[0][1], 1e-6);
            assertEquals(-2000, ls[2][0], 1e-2);
            assertTrue(Double.isInfinite(ls[3][1]) && ls[3][1] < 0);
        }
    }
}
