package io.github.xent4j.samediff;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.Select;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/** The chain rule's last step for per-example results: row n of a gradient times {@code g_n}. */
final class Upstream {
    private Upstream() {
    }

    /**
     * {@code grad[n, ...] * g_n * factor}, with {@code 0 * inf = 0} (a row whose upstream
     * gradient is 0 contributes nothing, even where the local derivative is infinite).
     *
     * @param grad   a gradient whose first dimension is N; owned by the caller, may be overwritten
     * @param g      the upstream gradient: a scalar (applies to every row) or N values
     * @param factor extra factor (1 / N for the means)
     */
    static INDArray scaleRows(INDArray grad, INDArray g, double factor, long n) {
        if (g.length() == 1) {
            double s = g.getDouble(0) * factor;
            if (s == 1) {
                return grad;
            }
            if (s == 0) {
                return Nd4j.zeros(grad.dataType(), grad.shape());
            }
            return grad.muli(s);
        }
        if (g.length() != n) {
            throw new IllegalStateException("upstream gradient must be a scalar or have one value per example (N = " + n
                    + "), got shape " + Arrays.toString(g.shape()));
        }
        long[] rowShape = new long[grad.rank()];
        Arrays.fill(rowShape, 1);
        rowShape[0] = n;
        INDArray rows = g.castTo(grad.dataType()).reshape(rowShape);
        if (factor != 1) {
            rows = rows.mul(factor);
        }
        INDArray out = Nd4j.createUninitialized(grad.dataType(), grad.shape(), 'c');
        Nd4j.exec(new MulOp(new INDArray[]{grad, rows}, new INDArray[]{out}));
        INDArray keep = g.reshape(n).neq(0.0);                       // exact comparison
        if (keep.castTo(DataType.INT32).minNumber().intValue() == 0) {
            INDArray zeros = Nd4j.zeros(grad.dataType(), grad.shape());
            INDArray selected = Nd4j.createUninitialized(grad.dataType(), grad.shape(), 'c');
            Nd4j.exec(new Select(new INDArray[]{keep, out, zeros}, new INDArray[]{selected}));
            out = selected;
        }
        return out;
    }
}
