package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.xent4j.Reference;
import io.github.xent4j.TestArrays;
import io.github.xent4j.Tolerance;
import io.github.xent4j.XentOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds a graph with {@link XentSameDiff#softmaxCrossEntropy}, runs forward and backward in one
 * call, and checks the results against the float64 {@link Reference}.
 */
final class SdRun {
    /** The op's output. */
    final INDArray out;
    /** d(total)/dlogits, where total is the output ({@code SUM}, means) or {@code sum(c * output)} ({@code NONE}). */
    final INDArray dz;
    /** d(total)/dlabels for floating-point labels, else null. */
    final INDArray dy;

    private SdRun(INDArray out, INDArray dz, INDArray dy) {
        this.out = out;
        this.dz = dz;
        this.dy = dy;
    }

    /**
     * @param upstream for {@code NONE}: weights {@code c} of the per-example losses in the total
     *                 (null: all 1); ignored otherwise
     */
    static SdRun run(INDArray z, INDArray y, INDArray mask, XentOptions o, LossReduce r, double[] upstream) {
        SameDiff sd = SameDiff.create();
        SDVariable zv = sd.var("z", z);
        boolean fpLabels = y.dataType().isFPType();
        SDVariable yv = fpLabels ? sd.var("y", y) : sd.constant("y", y);
        SDVariable mv = mask == null ? null : sd.constant("mask", mask);
        SDVariable loss = XentSameDiff.softmaxCrossEntropy(sd, "loss", zv, yv, mv, o, r);
        assertEquals("loss", loss.name());
        if (r == LossReduce.NONE) {
            INDArray c = upstream == null ? Nd4j.ones(z.dataType(), z.size(0))
                    : Nd4j.createFromArray(upstream).castTo(z.dataType());
            loss.mul(sd.constant("c", c)).sum("total").markAsLoss();
        }
        List<String> grads = new ArrayList<>();
        grads.add("z");
        if (fpLabels) {
            grads.add("y");
        }
        OutAndGrad og = sd.calculateGradientsAndOutputs(Collections.emptyMap(), List.of("loss"), grads);
        return new SdRun(og.getOutputs().get("loss"), og.getGradients().get("z"),
                fpLabels ? og.getGradients().get("y") : null);
    }

    /**
     * Checks output and logits gradient against the reference.
     *
     * @param refLabels soft labels as the kernel sees them (one-hot for class ids)
     * @param rowWeights per-row multipliers (mask, 0 for ignored rows), null for 1
     * @param avail per-output availability or null
     */
    void check(String what, INDArray z, XentOptions o, LossReduce r, double[] upstream, double[][] refLabels,
               double[] rowWeights, double[][] avail) {
        int n = (int) z.size(0);
        int k = (int) z.size(1);
        Tolerance tol = Tolerance.of(z.dataType(), k);
        double[][] zv = TestArrays.values(z);
        assertEquals(z.dataType(), out.dataType(), what + " output type");
        assertEquals(z.dataType(), dz.dataType(), what + " gradient type");
        assertArrayEquals(r == LossReduce.NONE ? new long[]{n} : new long[0], out.shape(), what + " output shape");
        assertArrayEquals(z.shape(), dz.shape(), what + " gradient shape");
        double[] loss = r == LossReduce.NONE ? TestArrays.vector(out) : null;
        double[][] g = TestArrays.values(dz);
        double sum = 0;
        double sumScale = 0;
        for (int i = 0; i < n; i++) {
            double rw = rowWeights == null ? 1 : rowWeights[i];
            double f = r == LossReduce.NONE ? (upstream == null ? 1 : upstream[i]) : r == LossReduce.SUM ? 1 : 1.0 / n;
            if (rw == 0) {
                if (loss != null) {
                    assertEquals(0.0, loss[i], 0.0, what + " masked row " + i);
                }
                for (int j = 0; j < k; j++) {
                    assertEquals(0.0, g[i][j], 0.0, what + " masked row " + i + " gradient");
                }
                continue;
            }
            Reference.Row ref = Reference.row(zv[i], refLabels[i], avail == null ? null : avail[i], o.classWeights(),
                    o.labelSmoothing(), o.temperature(), o.zLoss());
            if (loss != null) {
                tol.check(what + " loss[" + i + "]", loss[i], rw * ref.loss, Math.abs(rw) * ref.lossScale);
            }
            sum += rw * ref.loss;
            sumScale += Math.abs(rw) * ref.lossScale;
            for (int j = 0; j < k; j++) {
                if (avail != null && avail[i][j] == 0) {
                    assertEquals(0.0, g[i][j], 0.0, what + " unavailable class gradient");
                } else {
                    tol.check(what + " dz[" + i + "," + j + "]", g[i][j], f * rw * ref.grad[j], Math.abs(f * rw) * ref.gradScale);
                }
            }
        }
        if (r != LossReduce.NONE) {
            double div = r == LossReduce.SUM ? 1 : n;
            tol.check(what + " reduced loss", out.getDouble(0), sum / div, sumScale / div);
        }
    }
}
