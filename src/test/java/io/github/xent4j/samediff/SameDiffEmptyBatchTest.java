package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.xent4j.XentOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An empty batch, logits {@code [0, K]}: no error; {@code NONE} gives {@code [0]}, {@code SUM}
 * and the means 0 (the means' division by N = 0 is safe), and the gradient with respect to the
 * logits is {@code [0, K]}, for soft labels, class ids and a mask.
 *
 * <p>Needs the kernel's empty results for N = 0 ({@code XentKernel.compute} and
 * {@code labelsGradient}); with a kernel that rejects an empty batch these tests fail with its
 * "at least one row" error.
 */
class SameDiffEmptyBatchTest {
    private static final int K = 4;
    private static final XentOptions OPTIONS = XentOptions.builder().labelSmoothing(0.1).temperature(2).zLoss(1e-3)
            .classWeights(new double[]{1, 2, 0.5, 1}).build();

    private static SameDiff graph(boolean classIds, boolean withMask) {
        SameDiff sd = SameDiff.create();
        // Logits = input + bias: ND4J's own matmul_bp fails for an empty batch, and a variable
        // cannot hold an empty array.
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, K);
        SDVariable z = x.add("z", sd.var("b", Nd4j.ones(DataType.FLOAT, K)));
        SDVariable y = classIds ? sd.placeHolder("y", DataType.INT64, -1) : sd.placeHolder("y", DataType.FLOAT, -1, K);
        SDVariable m = withMask ? sd.placeHolder("m", DataType.FLOAT, -1, 1) : null;
        XentSameDiff.softmaxCrossEntropy(sd, "none", z, y, m, OPTIONS, LossReduce.NONE);
        SDVariable sum = XentSameDiff.softmaxCrossEntropy(sd, "sum", z, y, m, OPTIONS, LossReduce.SUM);
        SDVariable meanW = XentSameDiff.softmaxCrossEntropy(sd, "meanW", z, y, m, OPTIONS, LossReduce.MEAN_BY_WEIGHT);
        SDVariable meanNz = XentSameDiff.softmaxCrossEntropy(sd, "meanNz", z, y, m, OPTIONS,
                LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        sd.setLossVariables(sum.add(meanW).add("total", meanNz));
        return sd;
    }

    private static Map<String, INDArray> feed(boolean classIds, boolean withMask) {
        INDArray y = classIds ? Nd4j.create(DataType.INT64, 0) : Nd4j.create(DataType.FLOAT, 0, K);
        return withMask
                ? Map.of("x", Nd4j.create(DataType.FLOAT, 0, K), "y", y, "m", Nd4j.create(DataType.FLOAT, 0, 1))
                : Map.of("x", Nd4j.create(DataType.FLOAT, 0, K), "y", y);
    }

    private static void check(boolean classIds, boolean withMask) {
        String what = (classIds ? "class ids" : "soft labels") + (withMask ? ", mask" : "");
        SameDiff sd = graph(classIds, withMask);
        Map<String, INDArray> out = sd.output(feed(classIds, withMask), "none", "sum", "meanW", "meanNz");
        assertArrayEquals(new long[]{0}, out.get("none").shape(), what + ": NONE");
        for (String v : new String[]{"sum", "meanW", "meanNz"}) {
            assertEquals(0, out.get(v).length() == 1 ? out.get(v).getDouble(0) : Double.NaN, 0.0, what + ": " + v);
        }
        Map<String, INDArray> g = sd.calculateGradients(feed(classIds, withMask), List.of("z", "b"));
        INDArray dz = g.get("z");
        assertArrayEquals(new long[]{0, K}, dz.shape(), what + ": d total / d logits");
        assertEquals(DataType.FLOAT, dz.dataType());
        assertEquals(Nd4j.zeros(DataType.FLOAT, K), g.get("b"), what + ": d total / d bias");
    }

    @Test
    void softLabels() {
        check(false, false);
    }

    @Test
    void classIds() {
        check(true, false);
    }

    @Test
    void withAPerExampleMask() {
        check(false, true);
    }
}
