package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SameDiff's built-ins in ND4J 1.0.0-M2.1 next to the xent4j ops, on the same inputs. The
 * failures of the built-ins are asserted (if a later ND4J fixes one, this test says so, and the
 * README's numbers need updating) and printed as the README quotes them.
 */
class BuiltinComparisonTest {
    static final double NI = Double.NEGATIVE_INFINITY;
    private static final StringBuilder TABLE = new StringBuilder();

    @AfterAll
    static void print() {
        System.out.println("\n| case | SameDiff built-in (ND4J 1.0.0-M2.1) | xent4j | true value |\n| --- | --- | --- | --- |\n"
                + TABLE);
    }

    private static void row(String what, String builtin, String ours, String truth) {
        TABLE.append("| ").append(what).append(" | ").append(builtin).append(" | ").append(ours).append(" | ")
                .append(truth).append(" |\n");
    }

    private static String fmt(INDArray a) {
        double[] v = a.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            s.append(i == 0 ? "" : ", ").append(Double.isInfinite(v[i]) ? (v[i] > 0 ? "∞" : "−∞")
                    : String.format("%.4f", v[i]).replaceAll("\\.?0+$", ""));
        }
        return s.append("]").toString();
    }

    private static String failure(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String m = String.valueOf(root.getMessage());
        return "`" + root.getClass().getSimpleName() + ": " + (m.length() > 60 ? m.substring(0, 60) + "…" : m) + "`";
    }

    @Test
    void logSumExpAlongADimension() {
        INDArray x = Nd4j.createFromArray(new double[][]{{0, 1000, 0}, {1, 2, 3}, {-1000, 0, 1000}});
        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.var("x", x);
        sd.math.logSumExp("builtin", xv, 1);
        XentSameDiff.logSumExp(sd, "ours", xv, 1, false);
        Map<String, INDArray> out = sd.output(Collections.emptyMap(), "builtin", "ours");
        INDArray builtin = out.get("builtin");
        INDArray ours = out.get("ours");
        assertEquals(NI, builtin.getDouble(1), 0.0, "built-in logSumExp shifts by the global max (ND4J changed?)");
        assertEquals(1000.0, ours.getDouble(0), 1e-12);
        assertEquals(3.40760596444438, ours.getDouble(1), 1e-12);
        row("`logSumExp` along dim 1 of `[[0, 1000, 0], [1, 2, 3], [−1000, 0, 1000]]`, float64",
                fmt(builtin), fmt(ours), "[1000, 3.4076, 1000]");

        // backward along a dimension
        SameDiff sdB = SameDiff.create();
        sdB.math.logSumExp("lse", sdB.var("x", x), 1).sum().markAsLoss();
        Throwable builtinBackward = null;
        try {
            sdB.calculateGradients(Collections.emptyMap(), "x");
        } catch (Throwable t) {
            builtinBackward = t;
        }
        assertNotNull(builtinBackward, "built-in logSumExp backward along a dimension now works (ND4J changed?)");
        SameDiff sdO = SameDiff.create();
        XentSameDiff.logSumExp(sdO, "lse", sdO.var("x", x), 1, false).sum().markAsLoss();
        INDArray g = sdO.calculateGradients(Collections.emptyMap(), "x").get("x");
        assertEquals(1.0, g.getDouble(2, 2), 1e-12);
        row("its gradient (of the sum)", failure(builtinBackward), fmt(g), "softmax of each row");
    }

    @Test
    void logSoftmaxWithALargeGap() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            double gap = type == DataType.FLOAT ? 200 : 1000;
            INDArray x = Nd4j.createFromArray(new double[][]{{0, gap, 0}}).castTo(type);
            SameDiff sd = SameDiff.create();
            SDVariable xv = sd.var("x", x);
            sd.nn.logSoftmax("builtin", xv);
            XentSameDiff.logSoftmax(sd, "ours", xv, -1);
            Map<String, INDArray> out = sd.output(Collections.emptyMap(), "builtin", "ours");
            assertEquals(NI, out.get("builtin").getDouble(0), 0.0, "built-in logSoftmax underflows (ND4J changed?)");
            assertEquals(-gap, out.get("ours").getDouble(0), 0.0);
            String g = String.valueOf((int) gap);
            row("`logSoftmax` of `[0, " + g + ", 0]`, " + (type == DataType.FLOAT ? "float32" : "float64"),
                    fmt(out.get("builtin")), fmt(out.get("ours")), "[−" + g + ", 0, −" + g + "]");
        }
        // with a dimension argument, gradient creation fails
        SameDiff sd = SameDiff.create();
        sd.nn.logSoftmax("ls", sd.var("x", Nd4j.rand(DataType.DOUBLE, 2, 3)), 1).sum().markAsLoss();
        Throwable t = null;
        try {
            sd.calculateGradients(Collections.emptyMap(), "x");
        } catch (Throwable e) {
            t = e;
        }
        assertNotNull(t, "built-in logSoftmax(x, dim) gradient now works (ND4J changed?)");
        row("gradient of `logSoftmax(x, 1)`", failure(t), "works (any dimension, any rank)", "");
    }

    @Test
    void softmaxCrossEntropyFollowedByAMean() {
        Random rnd = new Random(31);
        int n = 4;
        int k = 3;
        INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 2), DataType.DOUBLE);
        INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), DataType.DOUBLE);
        INDArray truth = XentKernel.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.GRADIENT)
                .gradient().div(n);

        SameDiff b = SameDiff.create();
        SDVariable lossB = b.loss().softmaxCrossEntropy("per", b.constant("y", y), b.var("z", z), null, LossReduce.NONE, 0.0);
        b.setLossVariables(lossB.mean("mean"));
        INDArray gb = b.calculateGradients(Collections.emptyMap(), "z").get("z");

        SameDiff o = SameDiff.create();
        SDVariable lossO = XentSameDiff.softmaxCrossEntropy(o, "per", o.var("z", z), o.constant("y", y), null, LossReduce.NONE);
        lossO.mean("mean").markAsLoss();
        INDArray go = o.calculateGradients(Collections.emptyMap(), "z").get("z");

        double ratioB = gb.getDouble(0, 0) / truth.getDouble(0, 0);
        double ratioO = go.getDouble(0, 0) / truth.getDouble(0, 0);
        assertEquals(n, ratioB, 1e-9, "built-in softmaxCrossEntropy ignores the upstream gradient (ND4J changed?)");
        assertTrue(go.equalsWithEps(truth, 1e-15), "ours: " + go + " vs " + truth);
        assertFalse(gb.equalsWithEps(truth, 1e-3));
        row("`softmaxCrossEntropy(…, NONE).mean()`, N = " + n + ": gradient ÷ true gradient",
                String.format("%.1f (N times too large)", ratioB), String.format("%.1f", ratioO), "1");
        assertTrue(Arrays.equals(go.shape(), new long[]{n, k}));
    }
}
