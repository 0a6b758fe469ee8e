package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The specified edge cases: {@code K = 1}, exact class ids, overflow-free gradients, exact zeros
 * on unavailable classes, tiny log-sum-exps, real-valued per-example masks, empty batches. Each
 * expected value comes from {@link Reference} (float64, independent of the kernel) or from the
 * definitions by hand.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.github.xent4j.KernelVariants#paths")
class EdgeCaseDecisionsTest {
    @Parameter
    KernelPath path;

    static final XentKernel.Output[] OUTPUTS = XentKernel.Output.values();

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void oneClassGivesTheFormulasValue(DataType type) {
        double[][] z = {{3.5}};
        double[][] y = {{0.7}};
        for (XentOptions o : new XentOptions[]{XentOptions.defaults(),
                XentOptions.builder().zLoss(0.1).temperature(2).labelSmoothing(0.2).build()}) {
            INDArray logits = TestArrays.array(z, type);
            INDArray labels = TestArrays.array(y, type);
            KernelChecks.check(path, logits, labels, null, o, y, null, null);
            XentKernel.Result r = path.compute(logits, labels, null, o, XentKernel.Output.BOTH);
            // K = 1: loss lambda * LSE^2 with LSE = z / t, gradient (2 lambda / t) * LSE
            double lse = 3.5 / o.temperature();
            assertEquals(o.zLoss() * lse * lse, r.loss().getDouble(0), 1e-6);
            assertEquals(2 * o.zLoss() / o.temperature() * lse, r.gradient().getDouble(0, 0), 1e-6);
        }
        // several rows of one class too
        double[][] z3 = {{1}, {-2}, {1e4}};
        double[][] y3 = {{1}, {0}, {2}};
        KernelChecks.check(path, TestArrays.array(z3, type), TestArrays.array(y3, type), null,
                XentOptions.builder().zLoss(1e-3).build(), y3, null, null);
    }

    @Test
    void oneClassStillRejectsInvalidLogitsForEveryOutput() {
        float[][][] bad = {{{1}, {Float.NaN}}, {{1}, {Float.POSITIVE_INFINITY}}, {{1}, {Float.NEGATIVE_INFINITY}}};
        String[] fragment = {"NaN", "+Infinity", "-Infinity"};
        INDArray labels = Nd4j.createFromArray(new float[][]{{1}, {1}});
        for (int b = 0; b < bad.length; b++) {
            INDArray logits = Nd4j.createFromArray(bad[b]);
            for (XentKernel.Output out : OUTPUTS) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> path.compute(logits, labels, null, XentOptions.defaults(), out), out.toString());
                assertTrue(e.getMessage().contains("logits") && e.getMessage().contains(fragment[b])
                        && e.getMessage().contains("row 1"), out + ": " + e.getMessage());
            }
        }
    }

    @Test
    void classIdsAreComparedExactlyInTheLabelsType() {
        INDArray logits = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, 0, 1}});
        XentOptions o = XentOptions.builder().ignoreIndex(16777217).build();
        // 16777216 != 16777217, although both round to the same float32
        for (INDArray ids : new INDArray[]{Nd4j.createFromArray(2, 16777216), Nd4j.createFromArray(2L, 16777216L),
                Nd4j.createFromArray(2.0, 16777216.0).reshape(2, 1)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> path.compute(logits, ids, null, o, XentKernel.Output.BOTH), ids.dataType().toString());
            assertTrue(e.getMessage().contains("class-id labels") && e.getMessage().contains("row 1"), e.getMessage());
        }
        // the id itself is ignored, in integer and in float64 labels
        for (INDArray ids : new INDArray[]{Nd4j.createFromArray(2, 16777217), Nd4j.createFromArray(2L, 16777217L),
                Nd4j.createFromArray(2.0, 16777217.0)}) {
            XentKernel.Result r = path.compute(logits, ids, null, o, XentKernel.Output.BOTH);
            assertEquals(0.0, r.loss().getDouble(1), 0.0);
            assertEquals(0.0, r.gradient().getRow(1).norm1Number().doubleValue(), 0.0);
            assertEquals(Reference.row(new double[]{1, 2, 3}, Reference.oneHot(2, 3), null, null, 0, 1, 0).loss,
                    r.lossSum(), 1e-5);
        }
        // an INT64 id beyond the int range is a bad id, not a wrapped one
        assertThrows(IllegalArgumentException.class, () -> path.compute(logits, Nd4j.createFromArray(2L, (1L << 32) + 1),
                null, XentOptions.defaults(), XentKernel.Output.BOTH));
    }

    @Test
    void hugeLabelsWithATemperatureGiveFiniteGradients() {
        // t * S overflows float32, t * (p * S - y) does not: [-3.03e37, 3.03e37]
        XentOptions t4 = XentOptions.builder().temperature(4).build();
        double[][] z = {{10, 0}};
        double[][] y = {{1e38, 0}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        KernelChecks.check(path, logits, labels, null, t4, TestArrays.values(labels), null, null);
        double[] g = TestArrays.vector(path.compute(logits, labels, null, t4, XentKernel.Output.GRADIENT)
                .gradient().reshape(2));
        assertEquals(-3.03e37, g[0], 0.01e37);
        assertEquals(3.03e37, g[1], 0.01e37);
        // class weights of 1e30 likewise
        XentOptions weighted = XentOptions.builder().temperature(4).classWeights(new double[]{1e30, 2}).build();
        double[][] y8 = {{1e8, 0}};
        KernelChecks.check(path, logits, TestArrays.array(y8, DataType.FLOAT), null, weighted, y8, null, null);
        // w * y and S beyond float32's range, t * (p * S - w * y) within it
        XentOptions cool = XentOptions.builder().temperature(0.32).classWeights(new double[]{2.09, 1}).build();
        double[][] z5 = {{0, 5}};
        double[][] y5 = {{1.69e38, 0}};
        KernelChecks.check(path, TestArrays.array(z5, DataType.FLOAT), TestArrays.array(y5, DataType.FLOAT), null,
                cool, TestArrays.values(TestArrays.array(y5, DataType.FLOAT)), null, null);
    }

    @Test
    void aMaskBelowOneBringsAnOverflowingGradientBackIntoRange() {
        // t * (p S - y) = 3 * (-1.5e38) overflows float32; the masked value 0.5 * that does not
        XentOptions t3 = XentOptions.builder().temperature(3).build();
        INDArray logits = TestArrays.array(new double[][]{{0, 0}}, DataType.FLOAT);
        INDArray labels = TestArrays.array(new double[][]{{3e38, 0}}, DataType.FLOAT);
        INDArray mask = TestArrays.array(new double[][]{{0.5}}, DataType.FLOAT);
        double[] g = TestArrays.vector(path.compute(logits, labels, mask, t3, XentKernel.Output.GRADIENT)
                .gradient().reshape(2));
        assertEquals(-2.25e38, g[0], 0.001e38);
        assertEquals(2.25e38, g[1], 0.001e38);
    }

    @Test
    void unavailableClassesAreExactlyZeroWhateverOverflowed() {
        XentOptions t4 = XentOptions.builder().temperature(4).build();
        double[][] z = {{10, 0, 5}, {1, 2, 3}};
        double[][] y = {{1e38, 0, 3e38}, {0.5, 0.5, 0}};
        double[][] avail = {{1, 1, 0}, {1, 0, 1}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        INDArray mask = TestArrays.array(avail, DataType.FLOAT);
        KernelChecks.check(path, logits, labels, mask, t4, TestArrays.values(labels), new double[]{1, 1}, avail);
        INDArray g = path.compute(logits, labels, mask, t4, XentKernel.Output.GRADIENT).gradient();
        assertEquals(0.0, g.getDouble(0, 2), 0.0);
        assertEquals(0.0, g.getDouble(1, 1), 0.0);
    }

    @Test
    void tinyLogSumExpsKeepTheirRelativeAccuracy() {
        XentOptions o = XentOptions.builder().zLoss(0.01).build();
        double[][] z = {{0, -17}, {0, -30}, {-1e-3, -25}};
        double[][] y = {{0, 0}, {0, 0}, {0, 0}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        KernelChecks.check(path, logits, labels, null, o, y, null, null);
        XentKernel.Result r = path.compute(logits, labels, null, o, XentKernel.Output.BOTH);
        double[][] zf = TestArrays.values(logits);
        for (int i = 0; i < z.length; i++) {
            Reference.Row ref = Reference.row(zf[i], y[i], null, null, 0, 1, 0.01);
            // relative accuracy, although the contract's absolute term would allow 0 for the second class
            assertEquals(ref.loss, r.loss().getDouble(i), 1e-4 * ref.loss, "loss row " + i);
            for (int j = 0; j < 2; j++) {
                assertEquals(ref.grad[j], r.gradient().getDouble(i, j), 1e-4 * Math.abs(ref.grad[j]),
                        "gradient [" + i + "," + j + "]");
            }
        }
        assertEquals(1.71e-17, r.loss().getDouble(0), 0.01e-17);
        assertEquals(8.28e-10, r.gradient().getDouble(0, 0), 0.01e-10);
        assertEquals(3.4e-17, r.gradient().getDouble(0, 1), 0.05e-17);
    }

    @Test
    void aPerExampleMaskIsARealMultiplier() {
        double ninf = Double.NEGATIVE_INFINITY;
        double[][] z = {{ninf, 1, 2}, {0.5, -1, 2}, {1, 2, 3}, {Double.NaN, 0, 0}};
        double[][] y = {{0.1, 0.4, 0.5}, {0.2, 0.3, 0.5}, {1, 0, 0}, {1, 0, 0}};
        double[] m = {-1, -0.5, 2.5, 0};
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray logits = TestArrays.array(z, type);
            INDArray labels = TestArrays.array(y, type);
            for (String set : OptionSets.NAMES) {
                KernelChecks.check(path, logits, labels, Nd4j.createFromArray(m).castTo(type), OptionSets.of(set, 3,
                        new java.util.Random(2)), TestArrays.values(labels), m, null);
            }
            XentKernel.Result r = path.compute(logits, labels, Nd4j.createFromArray(m).reshape(4, 1).castTo(type),
                    XentOptions.defaults(), XentKernel.Output.BOTH);
            assertEquals(Double.NEGATIVE_INFINITY, r.loss().getDouble(0));
        }
        for (double bad : new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> path.compute(
                    TestArrays.array(new double[][]{{1, 2}, {3, 4}}, DataType.FLOAT),
                    TestArrays.array(new double[][]{{1, 0}, {0, 1}}, DataType.FLOAT),
                    Nd4j.createFromArray(1.0, bad), XentOptions.defaults(), XentKernel.Output.BOTH));
            assertTrue(e.getMessage().contains("mask") && e.getMessage().contains("finite")
                    && e.getMessage().contains("row 1"), e.getMessage());
        }
    }

    @Test
    void overflowingZLossKeepsTheGradientFinite() {
        XentOptions o = XentOptions.builder().temperature(0.25).zLoss(1e-4).build();
        double[][] z = {{1e38, 1e38}};
        double[][] y = {{0, 0}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        KernelChecks.check(path, logits, labels, null, o, y, null, null);
        XentKernel.Result r = path.compute(logits, labels, null, o, XentKernel.Output.BOTH);
        assertEquals(1.6e35, r.gradient().getDouble(0, 0), 0.01e35);
        assertEquals(1.6e35, r.gradient().getDouble(0, 1), 0.01e35);
        assertEquals(Double.POSITIVE_INFINITY, r.loss().getDouble(0));   // the true loss overflows float32
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "HALF", "BFLOAT16"})
    void anEmptyBatchGivesEmptyResults(DataType type) {
        int k = 4;
        INDArray logits = Nd4j.create(type, 0, k);
        INDArray[] labelForms = {Nd4j.create(type, 0, k), Nd4j.create(DataType.INT32, 0, 1), Nd4j.create(DataType.INT64, 0)};
        INDArray[] masks = {null, Nd4j.create(type, 0, 1), Nd4j.create(type, 0)};
        XentOptions o = XentOptions.builder().classWeights(new double[]{1, 2, 3, 4}).labelSmoothing(0.1).zLoss(0.01)
                .build();
        for (INDArray labels : labelForms) {
            for (INDArray mask : masks) {
                for (XentKernel.Output out : OUTPUTS) {
                    XentKernel.Result r = path.compute(logits, labels, mask, o, out);
                    if (r.loss() != null) {
                        assertArrayEquals(new long[]{0}, r.loss().shape());
                        assertEquals(type, r.loss().dataType());
                    }
                    if (r.gradient() != null) {
                        assertArrayEquals(new long[]{0, k}, r.gradient().shape());
                        assertEquals(type, r.gradient().dataType());
                    }
                    if (out != XentKernel.Output.GRADIENT) {
                        assertEquals(0.0, r.lossSum(), 0.0);
                    }
                }
            }
        }
        assertArrayEquals(new long[]{0, k}, path.labelsGradient(logits, labelForms[0], null, o).shape());
        // shapes are still checked
        assertThrows(IllegalArgumentException.class, () -> path.compute(logits, Nd4j.create(type, 0, k + 1), null, o,
                XentKernel.Output.BOTH));
        assertDoesNotThrow(() -> path.compute(logits, labelForms[0], Nd4j.create(type, 0, k), XentOptions.defaults(),
                XentKernel.Output.BOTH));
    }
}
