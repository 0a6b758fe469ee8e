package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every bad input of the contract gives an IllegalArgumentException naming argument, expectation and value. */
@ParameterizedClass(name = "{0}")
@MethodSource("io.github.xent4j.KernelVariants#paths")
class InputValidationTest {
    /** The path under test; the whole class runs once per {@link KernelVariants} entry. */
    @Parameter
    KernelPath path;

    static final XentOptions PLAIN = XentOptions.defaults();
    static final INDArray Z = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, 1, 0}});
    static final INDArray Y = Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, 0.5f}, {0, 1, 0}});

    /** Asserts an IllegalArgumentException whose message contains every fragment. */
    static void assertBad(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    void compute(INDArray z, INDArray y, INDArray mask, XentOptions o) {
        path.compute(z, y, mask, o, XentKernel.Output.BOTH);
    }

    @Test
    void shapesAndRanks() {
        assertBad(() -> compute(Nd4j.create(DataType.FLOAT, 2, 3, 1), Y, null, PLAIN), "logits", "rank 2", "[2, 3, 1]");
        assertBad(() -> compute(Z, Nd4j.create(DataType.FLOAT, 2, 4), null, PLAIN), "labels shape [2, 4]", "[2, 3]");
        assertBad(() -> compute(Z, Nd4j.create(DataType.FLOAT, 3, 3), null, PLAIN), "labels shape [3, 3]", "[2, 3]");
        assertBad(() -> compute(Z, Y, Nd4j.ones(DataType.FLOAT, 3, 1), PLAIN), "mask shape [3, 1]", "[2, 1]");
        assertBad(() -> compute(Z, Y, Nd4j.ones(DataType.FLOAT, 2, 2), PLAIN), "mask shape [2, 2]", "[2, 3]");
        assertBad(() -> compute(Z, Nd4j.createFromArray(0, 1).reshape(2, 1), Nd4j.ones(DataType.FLOAT, 2, 3), PLAIN),
                "mask", "per-example", "[2, 3]");
        assertBad(() -> compute(Z, Y, null, XentOptions.builder().classWeights(new double[]{1, 2}).build()),
                "classWeights", "length K = 3", "length 2");
        assertBad(() -> compute(Z.castTo(DataType.INT32), Y, null, PLAIN), "logits", "floating point", "INT");
        assertBad(() -> compute(null, Y, null, PLAIN), "logits");
        assertBad(() -> compute(Z, null, null, PLAIN), "labels");
    }

    @Test
    void gradientOutMustFitTheLogitsAndShareNoMemory() {
        XentKernel.Output both = XentKernel.Output.BOTH;
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, Nd4j.create(DataType.FLOAT, 2, 4)),
                "gradientOut", "[2, 3] FLOAT", "[2, 4] FLOAT");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, Nd4j.create(DataType.DOUBLE, 2, 3)),
                "gradientOut", "[2, 3] FLOAT", "[2, 3] DOUBLE");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, Nd4j.create(DataType.FLOAT, new long[]{2, 3}, 'f')),
                "gradientOut", "dense c-order", "strides [1, 2]");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, Nd4j.create(DataType.FLOAT, 2, 6)
                .get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3))),
                "gradientOut", "dense c-order", "strides [6, 1]");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, Z), "gradientOut", "share memory");
        INDArray labelsCopy = Y.dup();
        assertBad(() -> XentKernel.compute(Z, labelsCopy, null, PLAIN, both, labelsCopy.reshape(2, 3)),
                "gradientOut", "share memory");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, XentKernel.Output.LOSS, Nd4j.create(DataType.FLOAT, 2, 3)),
                "output", "gradient", "LOSS");
        assertBad(() -> XentKernel.compute(Z, Y, null, PLAIN, both, null), "gradientOut", "null");
        INDArray out = Nd4j.create(DataType.FLOAT, 2, 3);
        assertTrue(XentKernel.compute(Z, Y, null, PLAIN, both, out).gradient() == out, "a valid gradientOut is used");
    }

    @Test
    void invalidValuesInUnmaskedRows() {
        assertBad(() -> compute(Z, Nd4j.createFromArray(new float[][]{{0.2f, -0.5f, 0.5f}, {0, 1, 0}}), null, PLAIN),
                "labels", ">= 0", "-0.5", "row 0", "class 1");
        assertBad(() -> compute(Z, Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, 0.5f}, {0, Float.NaN, 0}}), null, PLAIN),
                "labels", "finite", "NaN", "row 1", "class 1");
        assertBad(() -> compute(Z, Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, Float.POSITIVE_INFINITY}, {0, 1, 0}}),
                null, PLAIN), "labels", "finite", "Infinity", "row 0", "class 2");
        assertBad(() -> compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, Float.NaN, 0}}), Y, null, PLAIN),
                "logits", "NaN", "row 1", "class 1");
        assertBad(() -> compute(Nd4j.createFromArray(new float[][]{{1, Float.POSITIVE_INFINITY, 3}, {0, 1, 0}}), Y, null,
                PLAIN), "logits", "+Infinity", "row 0", "class 1");
        float ninf = Float.NEGATIVE_INFINITY;
        assertBad(() -> compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {ninf, ninf, ninf}}), Y, null, PLAIN),
                "logits", "-Infinity", "row 1");
        // the gradient-only path must catch them too
        assertBad(() -> path.compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, Float.NaN, 0}}), Y, null,
                PLAIN, XentKernel.Output.GRADIENT), "logits", "NaN");
        assertBad(() -> path.compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {ninf, ninf, ninf}}), Y, null,
                PLAIN, XentKernel.Output.GRADIENT), "logits", "-Infinity");
        assertBad(() -> path.compute(Nd4j.createFromArray(new float[][]{{1, Float.POSITIVE_INFINITY, 3}, {0, 1, 0}}),
                Y, null, PLAIN, XentKernel.Output.GRADIENT), "logits", "+Infinity");
        assertBad(() -> path.compute(Z, Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, 0.5f}, {0, Float.NaN, 0}}),
                null, PLAIN, XentKernel.Output.GRADIENT), "labels", "NaN");
    }

    /**
     * A NaN with the sign bit set is a NaN like any other: the fused kernel's row maximum orders
     * the bits as integers and does not see it, so pass 2's sum must (float32 and float64, among
     * finite logits, among {@code -inf}, in a row's first vector and beyond it).
     */
    @Test
    void nanWithTheSignBitSetIsFoundInEveryPosition() {
        float negativeNaN = Float.intBitsToFloat(0xffc00000);
        double negativeNaND = Double.longBitsToDouble(0xfff8000000000000L);
        assertTrue(Float.isNaN(negativeNaN) && Float.floatToRawIntBits(negativeNaN) < 0, "the sign bit is set");
        float ninf = Float.NEGATIVE_INFINITY;
        for (int k : new int[]{3, 40}) {
            for (int at : new int[]{0, k - 1}) {
                for (boolean othersInfinite : new boolean[]{false, true}) {
                    float[][] z = new float[2][k];
                    float[][] y = new float[2][k];
                    double[][] zd = new double[2][k];
                    for (int j = 0; j < k; j++) {
                        z[0][j] = j % 5;
                        z[1][j] = othersInfinite ? ninf : (float) Math.sin(j);
                        y[0][j] = 1f / k;
                        y[1][j] = 1f / k;
                    }
                    z[1][at] = negativeNaN;
                    for (int i = 0; i < 2; i++) {
                        for (int j = 0; j < k; j++) {
                            zd[i][j] = z[i][j];
                        }
                    }
                    zd[1][at] = negativeNaND;
                    INDArray labels = Nd4j.createFromArray(y);
                    String where = "K " + k + " at " + at + (othersInfinite ? " among -inf" : "");
                    assertBad(() -> compute(Nd4j.createFromArray(z), labels, null, PLAIN), "logits", "NaN", "row 1");
                    assertBad(() -> path.compute(Nd4j.createFromArray(z), labels, null, PLAIN, XentKernel.Output.GRADIENT),
                            "logits", "NaN", "row 1");
                    assertBad(() -> compute(Nd4j.createFromArray(zd), labels.castTo(DataType.DOUBLE), null, PLAIN),
                            "logits", "NaN", "row 1");
                    assertTrue(Float.floatToRawIntBits(Nd4j.createFromArray(z).getFloat(1, at)) < 0, where + ": kept");
                }
            }
        }
    }

    /** {@code -0.0} is a valid label (its sign bit is set, as a negative label's is): the same result as {@code +0.0}. */
    @Test
    void negativeZeroLabelsAreZeros() {
        float[][] y = {{0.5f, -0f, 0.5f}, {-0f, 1, -0f}};
        XentKernel.Result signed = path.compute(Z, Nd4j.createFromArray(y), null, PLAIN, XentKernel.Output.BOTH);
        XentKernel.Result plain = path.compute(Z, Nd4j.createFromArray(new float[][]{{0.5f, 0, 0.5f}, {0, 1, 0}}), null,
                PLAIN, XentKernel.Output.BOTH);
        assertArrayEquals(TestArrays.vector(plain.loss()), TestArrays.vector(signed.loss()), 0.0);
        assertArrayEquals(TestArrays.vector(plain.gradient().reshape(-1)),
                TestArrays.vector(signed.gradient().reshape(-1)), 0.0);
    }

    @Test
    void classIds() {
        assertBad(() -> compute(Z, Nd4j.createFromArray(1, 3).reshape(2, 1), null, PLAIN), "class-id labels",
                "[0, 2]", "3.0", "row 1");
        assertBad(() -> compute(Z, Nd4j.createFromArray(-2L, 0L), null, PLAIN), "class-id", "-2.0", "row 0");
        assertBad(() -> compute(Z, Nd4j.createFromArray(new float[]{1.5f, 0}).reshape(2, 1), null, PLAIN), "integers",
                "1.5");
        assertBad(() -> compute(Z, Nd4j.createFromArray(new float[]{1, Float.NaN}), null, PLAIN), "class-id", "NaN");
        // ignoreIndex and masked rows are never validated
        assertDoesNotThrow(() -> compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {Float.NaN, 0, 0}}),
                Nd4j.createFromArray(0, 9), null, XentOptions.builder().ignoreIndex(9).build()));
        assertDoesNotThrow(() -> compute(Z, Nd4j.createFromArray(new float[]{0, Float.NaN}),
                Nd4j.createFromArray(1f, 0f), PLAIN));
    }

    @Test
    void masksAreValidated() {
        assertBad(() -> compute(Z, Y, Nd4j.createFromArray(new float[][]{{1, 0.5f, 1}, {1, 1, 1}}), PLAIN),
                "per-output mask", "0 or 1", "0.5", "row 0", "class 1");
        assertBad(() -> compute(Z, Y, Nd4j.createFromArray(1f, Float.NaN), PLAIN), "mask", "finite", "NaN");
        // masked rows are never validated
        assertDoesNotThrow(() -> compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {Float.NaN, 0, 0}}),
                Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, 0.5f}, {-1, Float.NaN, 0}}), Nd4j.createFromArray(1f, 0f), PLAIN));
    }

    @Test
    void options() {
        assertBad(() -> XentOptions.builder().labelSmoothing(1).build(), "labelSmoothing", "[0, 1)", "1.0");
        assertBad(() -> XentOptions.builder().labelSmoothing(-0.1).build(), "labelSmoothing", "-0.1");
        assertBad(() -> XentOptions.builder().labelSmoothing(Double.NaN).build(), "labelSmoothing", "NaN");
        assertBad(() -> XentOptions.builder().temperature(0).build(), "temperature", "> 0", "0.0");
        assertBad(() -> XentOptions.builder().temperature(-2).build(), "temperature", "-2.0");
        assertBad(() -> XentOptions.builder().temperature(Double.POSITIVE_INFINITY).build(), "temperature", "Infinity");
        assertBad(() -> XentOptions.builder().temperature(Double.NaN).build(), "temperature", "NaN");
        assertBad(() -> XentOptions.builder().zLoss(-1e-3).build(), "zLoss", ">= 0", "-0.001");
        assertBad(() -> XentOptions.builder().zLoss(Double.NaN).build(), "zLoss", "NaN");
        assertBad(() -> XentOptions.builder().zLoss(Double.POSITIVE_INFINITY).build(), "zLoss", "Infinity");
        assertBad(() -> XentOptions.builder().classWeights(new double[]{1, 0}).build(), "classWeights", "> 0",
                "classWeights[1] = 0.0");
        assertBad(() -> XentOptions.builder().classWeights(new double[]{-1}).build(), "classWeights", "-1.0");
        assertBad(() -> XentOptions.builder().classWeights(new double[]{1, Double.NaN}).build(), "classWeights", "NaN");
        assertBad(() -> XentOptions.builder().classWeights(new double[]{Double.POSITIVE_INFINITY}).build(),
                "classWeights", "Infinity");
        assertBad(() -> XentOptions.builder().classWeights(new double[0]).build(), "classWeights", "length 0");
        assertBad(() -> path.compute(Z, Y, null, null, XentKernel.Output.BOTH), "options");
    }

    @Test
    void logSumExpArguments() {
        assertBad(() -> path.logSumExp(Z, 2, false), "dimension", "[-2, 1]", "2");
        assertBad(() -> path.logSoftmax(Z, -3), "dimension", "-3");
        assertBad(() -> path.logSoftmax(Z.castTo(DataType.INT32), 1), "floating point");
    }
}
