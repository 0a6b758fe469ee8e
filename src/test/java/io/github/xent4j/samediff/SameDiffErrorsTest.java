package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.xent4j.XentOptions;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Bad input gives an {@link IllegalArgumentException} naming the argument, the expected and the
 * actual value: at graph-building time where the shapes are known, otherwise from the forward op
 * and from the gradient op (which {@code calculateGradients} and {@code fit} run without the
 * forward op).
 */
class SameDiffErrorsTest {
    static final double NI = Double.NEGATIVE_INFINITY;

    /** Runs {@code r}; the IllegalArgumentException (thrown or a cause) must contain every fragment. */
    static void assertIae(Executable r, String... fragments) {
        Throwable t = null;
        try {
            r.execute();
        } catch (Throwable e) {
            t = e;
        }
        assertNotNull(t, "expected an IllegalArgumentException");
        Throwable c = t;
        while (c != null && !(c instanceof IllegalArgumentException)) {
            c = c.getCause();
        }
        if (c == null) {
            fail("expected an IllegalArgumentException, got " + t, t);
        }
        for (String f : fragments) {
            assertTrue(c.getMessage().contains(f), "message lacks '" + f + "': " + c.getMessage());
        }
    }

    /** A graph with logits and labels as placeholders (shapes unknown when building). */
    static SameDiff graph(XentOptions o, DataType labelType) {
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.placeHolder("z", DataType.FLOAT, -1, -1);
        SDVariable y = sd.placeHolder("y", labelType, (long[]) null);
        XentSameDiff.softmaxCrossEntropy(sd, "loss", z, y, o, LossReduce.SUM);
        sd.createGradFunction("z");
        return sd;
    }

    /** The same bad input through the forward op (output) and the gradient op alone (calculateGradients). */
    static void bothOps(INDArray z, INDArray y, XentOptions o, String... fragments) {
        Map<String, INDArray> ph = Map.of("z", z, "y", y);
        assertIae(() -> graph(o, y.dataType()).output(ph, "loss"), fragments);
        assertIae(() -> graph(o, y.dataType()).calculateGradients(ph, "z"), fragments);
    }

    @Test
    void badValuesAtRunTimeFromForwardAndGradientOps() {
        INDArray z = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, 1, 2}});
        INDArray y = Nd4j.createFromArray(new float[][]{{0.5f, 0.5f, 0}, {1, 0, 0}});
        XentOptions d = XentOptions.defaults();
        bothOps(z, Nd4j.createFromArray(new float[][]{{0.5f, -0.5f, 0}, {1, 0, 0}}), d, "labels", ">= 0", "-0.5", "row 0");
        bothOps(z, Nd4j.createFromArray(new float[][]{{1, 0, 0}, {0, Float.NaN, 0}}), d, "labels", "NaN", "row 1");
        bothOps(Nd4j.createFromArray(new float[][]{{1, Float.NaN, 3}, {0, 1, 2}}), y, d, "logits", "NaN", "row 0");
        bothOps(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {Float.POSITIVE_INFINITY, 1, 2}}), y, d, "logits", "+Infinity");
        bothOps(Nd4j.createFromArray(new float[][]{{1, 2, 3}, {(float) NI, (float) NI, (float) NI}}), y, d, "all be -Infinity",
                "row 1");
        bothOps(z, Nd4j.createFromArray(new float[][]{{0.5f, 0.5f}, {1, 0}}), d, "labels shape [2, 2]", "[2, 3]");
        bothOps(z, Nd4j.createFromArray(0, 3), d, "class-id labels", "[0, 2]", "got 3.0", "row 1");
        bothOps(z, Nd4j.createFromArray(0L, -4L), XentOptions.builder().ignoreIndex(-3).build(), "ignoreIndex (-3)", "-4");
        bothOps(z, Nd4j.createFromArray(0.5f, 1f), d, "integers", "0.5");
        bothOps(z, y, XentOptions.builder().classWeights(new double[]{1, 2}).build(), "classWeights", "length K = 3",
                "length 2");
        bothOps(Nd4j.rand(DataType.FLOAT, 2, 3, 4), y, d, "logits", "rank 2", "[2, 3, 4]");
    }

    @Test
    void fitReportsBadLabels() {
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 2);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 3);
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 2, 3));
        XentSameDiff.softmaxCrossEntropy(sd, "loss", in.mmul(w), label, null, LossReduce.MEAN_BY_WEIGHT);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Sgd(0.1)).dataSetFeatureMapping("in")
                .dataSetLabelMapping("label").build());
        DataSet bad = new DataSet(Nd4j.rand(DataType.FLOAT, 2, 2), Nd4j.createFromArray(new float[][]{{1, 0, 0}, {0, -1, 2}}));
        assertIae(() -> sd.fit(bad), "labels", ">= 0", "-1.0", "row 1, class 1");
    }

    @Test
    void badArgumentsAtBuildTime() {
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", Nd4j.rand(DataType.FLOAT, 4, 3));
        SDVariable z3 = sd.var("z3", Nd4j.rand(DataType.FLOAT, 4, 3, 2));
        SDVariable y = sd.var("y", Nd4j.rand(DataType.FLOAT, 4, 3));
        SDVariable ids = sd.constant("ids", Nd4j.createFromArray(0, 1, 2, 0));
        XentOptions d = XentOptions.defaults();
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "a", z3, y, d, LossReduce.SUM), "logits", "rank 2", "[4, 3, 2]");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "b", z, sd.var("y5", Nd4j.rand(DataType.FLOAT, 4, 5)), d,
                LossReduce.SUM), "labels shape [4, 5]", "[4, 3]");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "c", z, sd.var("y3", Nd4j.rand(DataType.FLOAT, 3)), d,
                LossReduce.SUM), "labels shape [3]", "[4, 3]");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "d", z, y, XentOptions.builder()
                .classWeights(new double[]{1, 2, 3, 4}).build(), LossReduce.SUM), "classWeights", "K = 3", "length 4");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "e", ids.castTo(DataType.INT32).reshape(2, 2), ids, d,
                LossReduce.SUM), "logits", "floating point", "got INT");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "f", z, y, sd.constant("m", Nd4j.ones(4, 2)), d,
                LossReduce.SUM), "mask shape [4, 2]", "[4, 3]");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "g", z, null, d, LossReduce.SUM), "labels", "null");
        assertIae(() -> XentSameDiff.softmaxCrossEntropy(sd, "h", z, y, d, null), "reduce", "null");
        assertIae(() -> XentSameDiff.logSoftmax(sd, "i", z3, 3), "dimension", "[-3, 2]", "got 3");
        assertIae(() -> XentSameDiff.logSumExp(sd, "j", z3, -4, true), "dimension", "[-3, 2]", "got -4");
        assertIae(() -> XentSameDiff.logSumExp(sd, "k", ids, 0, true), "x", "floating point", "got INT");
        // the valid calls work and are named
        assertEquals("ok", XentSameDiff.softmaxCrossEntropy(sd, "ok", z, ids, d, LossReduce.SUM).name());
        assertEquals("ls", XentSameDiff.logSoftmax(sd, "ls", z3, -3).name());
    }

    @Test
    void dimensionCheckedAtRunTimeForPlaceholdersOfUnknownRank() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, (long[]) null);
        XentSameDiff.logSoftmax(sd, "ls", x, 2);
        assertIae(() -> sd.output(Map.of("x", Nd4j.rand(DataType.FLOAT, 2, 3)), "ls"), "dimension", "[-2, 1]", "got 2");
    }

    @Test
    void maskGradientIsNotSupported() {
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", Nd4j.rand(DataType.FLOAT, 2, 3));
        SDVariable m = sd.var("m", Nd4j.ones(DataType.FLOAT, 2));
        XentSameDiff.softmaxCrossEntropy(sd, "loss", z, sd.constant("y", Nd4j.createFromArray(0, 2)), m,
                XentOptions.defaults(), LossReduce.SUM);
        assertEquals(2, sd.calculateGradients(Collections.emptyMap(), "z").get("z").rows());   // fine without it
        try {
            sd.calculateGradients(Collections.emptyMap(), "m");
            fail("gradient with respect to the mask did not fail");
        } catch (RuntimeException e) {
            Throwable c = e;
            while (c != null && !(c instanceof UnsupportedOperationException)) {
                c = c.getCause();
            }
            assertNotNull(c, "expected UnsupportedOperationException, got " + e);
            assertTrue(c.getMessage().contains("mask"), c.getMessage());
        }
    }
}
