package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Runs the kernel for every output on every path ({@link KernelVariants}) and compares every value with {@link Reference}. */
public final class KernelChecks {
    private KernelChecks() {
    }

    /**
     * @param refLabels  soft labels the reference sees (one-hot for class ids; values as the
     *                   kernel sees them, i.e. already rounded to the input type)
     * @param rowWeights per-row multipliers the reference applies (null: all 1); 0 rows must be
     *                   exactly 0
     * @param available  per-output availability for the reference, or null
     */
    public static void check(INDArray logits, INDArray labels, INDArray mask, XentOptions o, double[][] refLabels,
                             double[] rowWeights, double[][] available) {
        KernelVariants.forEach(path -> check(path, logits, labels, mask, o, refLabels, rowWeights, available));
    }

    /** As {@link #check(INDArray, INDArray, INDArray, XentOptions, double[][], double[], double[][])}, on one path. */
    static void check(KernelPath path, INDArray logits, INDArray labels, INDArray mask, XentOptions o,
                      double[][] refLabels, double[] rowWeights, double[][] available) {
        String strategy = path.toString();
        int n = (int) logits.size(0);
        int k = (int) logits.size(1);
        Tolerance tol = Tolerance.of(logits.dataType(), k).withMargin();
        double[][] z = TestArrays.values(logits);
        XentKernel.Result both = path.compute(logits, labels, mask, o, XentKernel.Output.BOTH);
        XentKernel.Result lossOnly = path.compute(logits, labels, mask, o, XentKernel.Output.LOSS);
        XentKernel.Result gradOnly = path.compute(logits, labels, mask, o, XentKernel.Output.GRADIENT);
        assertEquals(logits.dataType(), both.loss().dataType(), "loss data type");
        assertEquals(logits.dataType(), both.gradient().dataType(), "gradient data type");
        assertArrayEquals(new long[]{n}, both.loss().shape(), "loss shape");
        assertArrayEquals(new long[]{n, k}, both.gradient().shape(), "gradient shape");
        double[] loss = TestArrays.vector(both.loss());
        double[][] grad = TestArrays.values(both.gradient());
        assertArrayEquals(loss, TestArrays.vector(lossOnly.loss()), 0.0, "LOSS output equals BOTH");
        double expectedSum = java.util.Arrays.stream(TestArrays.vector(both.loss().castTo(logits.dataType()))).sum();
        tol.check(strategy + " lossSum", both.lossSum(), expectedSum, Math.abs(expectedSum));
        XentKernel.Result sumOnly = path.compute(logits, labels, mask, o, XentKernel.Output.LOSS_SUM);
        XentKernel.Result gradAndSum = path.compute(logits, labels, mask, o, XentKernel.Output.GRADIENT_AND_LOSS_SUM);
        assertEquals(null, sumOnly.loss(), "LOSS_SUM gives no per-example losses");
        assertEquals(null, sumOnly.gradient(), "LOSS_SUM gives no gradient");
        assertEquals(null, gradAndSum.loss(), "GRADIENT_AND_LOSS_SUM gives no per-example losses");
        assertTrue(Double.isNaN(gradOnly.lossSum()), "GRADIENT gives no loss sum");
        tol.check(strategy + " LOSS_SUM", sumOnly.lossSum(), expectedSum, Math.abs(expectedSum));
        tol.check(strategy + " GRADIENT_AND_LOSS_SUM sum", gradAndSum.lossSum(), expectedSum, Math.abs(expectedSum));
        assertArrayEquals(flat(grad), flat(TestArrays.values(gradAndSum.gradient())), 0.0,
                "GRADIENT_AND_LOSS_SUM gradient equals BOTH");
        assertArrayEquals(flat(grad), flat(TestArrays.values(gradOnly.gradient())), 0.0, "GRADIENT output equals BOTH");
        double[] w = o.classWeights();
        for (int i = 0; i < n; i++) {
            double rw = rowWeights == null ? 1 : rowWeights[i];
            if (rw == 0) {
                assertEquals(0.0, loss[i], 0.0, "masked row " + i + " loss");
                for (int j = 0; j < k; j++) {
                    assertEquals(0.0, grad[i][j], 0.0, "masked row " + i + " gradient");
                }
                continue;
            }
            Reference.Row r = Reference.row(z[i], refLabels[i], available == null ? null : available[i], w,
                    o.labelSmoothing(), o.temperature(), o.zLoss());
            tol.check(strategy + " loss row " + i, loss[i], rw * r.loss, Math.abs(rw) * r.lossScale);
            for (int j = 0; j < k; j++) {
                if (available != null && available[i][j] == 0) {
                    assertEquals(0.0, grad[i][j], 0.0, "unavailable class gradient [" + i + "," + j + "]");
                } else {
                    tol.check(strategy + " gradient [" + i + "," + j + "]", grad[i][j], rw * r.grad[j], Math.abs(rw) * r.gradScale);
                }
            }
        }
    }

    private static double[] flat(double[][] a) {
        return java.util.Arrays.stream(a).flatMapToDouble(java.util.Arrays::stream).toArray();
    }
}
