package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.xent4j.Reference;
import io.github.xent4j.TestArrays;
import io.github.xent4j.Tolerance;
import io.github.xent4j.XentOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A graph saved by xent4j 0.1.0 ({@link SavedGraphFixture}, committed) loads and computes what
 * it computed then: every reduction, the options, the mask, class ids with {@code ignoreIndex},
 * log-softmax and log-sum-exp, and the gradient, checked against the float64 reference.
 */
class SavedGraphCompatibilityTest {
    private static final Tolerance TOL = Tolerance.of(DataType.FLOAT, 5);

    static SameDiff load(Path dir) throws Exception {
        Path f = dir.resolve("graph.sd");
        try (InputStream in = SavedGraphCompatibilityTest.class.getResourceAsStream(SavedGraphFixture.RESOURCE)) {
            assertNotNull(in, SavedGraphFixture.RESOURCE + " is missing from the test resources");
            Files.copy(in, f);
        }
        return SameDiff.load(f.toFile(), true);
    }

    @Test
    void aGraphSavedByVersion010ComputesTheSameValues(@TempDir Path dir) throws Exception {
        SameDiff sd = load(dir);
        for (String v : new String[]{"none", "sum", "meanW", "meanNz"}) {
            assertSame(SoftmaxCrossEntropyOp.class, sd.getVariableOutputOp(v).getClass(), v);
        }
        assertSame(LogSoftmaxOp.class, sd.getVariableOutputOp("ls").getClass());
        assertSame(LogSumExpOp.class, sd.getVariableOutputOp("lse").getClass());
        assertEquals(List.of("total"), sd.getLossVariables());

        // The inputs as stored in the file (the test does not trust the generator's constants).
        double[][] z = TestArrays.values(sd.getVariable("z").getArr());
        double[][] y = TestArrays.values(sd.getVariable("y").getArr());
        double[] ids = TestArrays.vector(sd.getVariable("ids").getArr());
        double[] m = TestArrays.vector(sd.getVariable("m").getArr());
        assertArrayEquals(SavedGraphFixture.Z, z);
        int n = z.length;
        int k = z[0].length;

        OutAndGrad og = sd.calculateGradientsAndOutputs(Collections.emptyMap(),
                List.of("none", "sum", "meanW", "meanNz", "ls", "lse"), List.of("z"));
        INDArray none = og.getOutputs().get("none");
        assertArrayEquals(new long[]{n}, none.shape());
        double sum = 0;
        double sumScale = 0;
        double meanW = 0;
        double meanWScale = 0;
        double meanNz = 0;
        double meanNzScale = 0;
        double[][] grad = new double[n][k];
        double[] gradScale = new double[n];
        XentOptions a = SavedGraphFixture.NONE_OPTIONS;
        XentOptions b = SavedGraphFixture.SUM_OPTIONS;
        XentOptions d = SavedGraphFixture.MEAN_NZ_OPTIONS;
        for (int r = 0; r < n; r++) {
            Reference.Row rNone = Reference.row(z[r], y[r], null, a.classWeights(), a.labelSmoothing(), a.temperature(),
                    a.zLoss());
            TOL.check("none[" + r + "]", none.getDouble(r), rNone.loss, rNone.lossScale);
            boolean ignored = ids[r] == b.ignoreIndex();
            Reference.Row rSum = ignored ? null
                    : Reference.row(z[r], Reference.oneHot((int) ids[r], k), null, null, b.labelSmoothing(), 1, 0);
            Reference.Row rMean = Reference.row(z[r], y[r], null, null, 0, 1, 0);
            Reference.Row rNz = Reference.row(z[r], y[r], null, null, 0, d.temperature(), 0);
            if (rSum != null) {
                sum += rSum.loss;
                sumScale += rSum.lossScale;
            }
            meanW += m[r] * rMean.loss / n;
            meanWScale += Math.abs(m[r]) * rMean.lossScale / n;
            meanNz += rNz.loss / n;
            meanNzScale += rNz.lossScale / n;
            for (int c = 0; c < k; c++) {
                grad[r][c] = rNone.grad[c] + (rSum == null ? 0 : rSum.grad[c]) + m[r] * rMean.grad[c] / n
                        + rNz.grad[c] / n;
            }
            gradScale[r] = rNone.gradScale + (rSum == null ? 0 : rSum.gradScale) + Math.abs(m[r]) * rMean.gradScale / n
                    + rNz.gradScale / n;
        }
        TOL.check("sum (SUM)", og.getOutputs().get("sum").getDouble(0), sum, sumScale);
        TOL.check("meanW (MEAN_BY_WEIGHT)", og.getOutputs().get("meanW").getDouble(0), meanW, meanWScale);
        TOL.check("meanNz (MEAN_BY_NONZERO_WEIGHT_COUNT)", og.getOutputs().get("meanNz").getDouble(0), meanNz, meanNzScale);

        double[][] dz = TestArrays.values(og.getGradients().get("z"));
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                TOL.check("dtotal/dz[" + r + ", " + c + "]", dz[r][c], grad[r][c], gradScale[r]);
            }
        }

        double[][] ls = TestArrays.values(og.getOutputs().get("ls"));
        double[] lse = TestArrays.vector(og.getOutputs().get("lse"));
        assertArrayEquals(new long[]{n}, og.getOutputs().get("lse").shape());
        for (int c = 0; c < k; c++) {
            double[] col = new double[n];
            for (int r = 0; r < n; r++) {
                col[r] = z[r][c];
            }
            double colLse = logSumExp(col);
            for (int r = 0; r < n; r++) {
                TOL.check("ls[" + r + ", " + c + "]", ls[r][c], z[r][c] - colLse, Math.abs(colLse) + Math.abs(z[r][c]));
            }
        }
        for (int r = 0; r < n; r++) {
            double e = logSumExp(z[r]);
            TOL.check("lse[" + r + "]", lse[r], e, Math.abs(e));
        }
    }

    private static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double s = 0;
        for (double v : x) {
            s += Math.exp(v - max);
        }
        return max + Math.log(s);
    }
}
