package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.xent4j.Tolerance;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SameDiff log-softmax and log-sum-exp ops, forward and backward through SameDiff, against the
 * float64 loop reference on a rank-3 input with gaps of 1e4, slices of very different scales,
 * {@code -inf} entries and all {@code -inf} slices, along positive and negative dimensions, with
 * and without keepDims, in every floating type. (Every dimension is covered at the kernel level by
 * {@link KernelBackwardTest}.)
 */
class LogSoftmaxLogSumExpOpTest {

    @Test
    void valuesAndGradientsThroughSameDiff() {
        Random rnd = new Random(71);
        long[] shape = {3, 4, 5};
        // (dimension, keepDims); the half types run the first two
        int[][] cases = {{-1, 0}, {0, 1}, {1, 0}, {-2, 1}};
        for (DataType type : KernelBackwardTest.TYPES) {
            double big = type == DataType.HALF ? 30 : type == DataType.BFLOAT16 ? 1e3 : 1e4;
            INDArray x = Nd4j.createFromArray(KernelBackwardTest.hardInput(rnd, big)).reshape(shape).castTo(type);
            double[] xv = x.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
            for (int[] c : cases) {
                if (type != DataType.DOUBLE && type != DataType.FLOAT && c[0] > 0) {
                    continue;                                   // half types: two cases
                }
                int dim = c[0];
                boolean keepDims = c[1] == 1;
                int d = dim < 0 ? dim + 3 : dim;
                long[] reducedShape = keepDims ? KernelBackwardTest.kept(shape, d) : KernelBackwardTest.dropped(shape, d);
                INDArray a = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5).castTo(type);       // upstream of logSoftmax
                INDArray b = Nd4j.rand(DataType.DOUBLE, reducedShape).subi(0.5).castTo(type); // upstream of logSumExp
                SameDiff sd = SameDiff.create();
                SDVariable xs = sd.var("x", x);
                SDVariable ls = XentSameDiff.logSoftmax(sd, "ls", xs, dim);
                SDVariable lse = XentSameDiff.logSumExp(sd, "lse", xs, dim, keepDims);
                // total = sum(a * logSoftmax) + sum(b * logSumExp): its value is not finite (-inf
                // entries), its gradient is, and the upstream gradients of the ops are a and b
                sd.setLossVariables(ls.mul(sd.constant("a", a)).sum().add("total", lse.mul(sd.constant("b", b)).sum()));
                OutAndGrad og = sd.calculateGradientsAndOutputs(Collections.emptyMap(), List.of("ls", "lse"), List.of("x"));
                double[] av = a.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
                double[] bv = b.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
                SliceReference.Slices ref = SliceReference.along(xv, shape, d, av, bv);
                Tolerance tol = Tolerance.of(type, (int) shape[d]);
                String what = type + " dim " + dim + " keepDims " + keepDims;
                KernelBackwardTest.checkAll(what + " logSoftmax", og.getOutputs().get("ls"), shape, type,
                        ref.logSoftmax, ref.logSoftmaxScale, tol);
                KernelBackwardTest.checkAll(what + " logSumExp", og.getOutputs().get("lse"), reducedShape, type,
                        ref.logSumExp, ref.logSumExpScale, tol);
                INDArray g = og.getGradients().get("x");
                assertFalse(g.isNaN().any(), what + ": NaN in the gradient");
                double[] expected = new double[ref.logSoftmaxGrad.length];
                double[] scale = new double[expected.length];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = ref.logSoftmaxGrad[i] + ref.logSumExpGrad[i];
                    scale[i] = ref.logSoftmaxGradScale[i] + ref.logSumExpGradScale[i];
                }
                // SameDiff adds the two ops' gradients in the input's type: one more rounding
                KernelBackwardTest.checkAll(what + " gradient", g, shape, type, expected, scale, tol);
                assertEquals(type, g.dataType());
            }
        }
    }
}
