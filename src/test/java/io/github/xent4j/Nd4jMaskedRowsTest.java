package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J path's per-example mask shortcuts: a row's results do not depend on the other rows,
 * so every unmasked row must equal, to the bit, the same row computed without the masked ones
 * (times its multiplier), and every masked row must be exactly 0, whether the masked rows hold
 * zero labels (then no mask pass runs), non-zero labels, or NaN.
 */
class Nd4jMaskedRowsTest {
    private static final int N = 12;
    private static final int K = 7;
    private final Random rnd = new Random(20261203);

    @Test
    void maskedRowsWithZeroLabels() {
        check(0.0, 1.0);
    }

    @Test
    void maskedRowsWithLabels() {
        check(1.0, 1.0);
    }

    @Test
    void maskedRowsWithNaN() {
        check(Double.NaN, 1.0);
    }

    @Test
    void fractionalMultipliersScaleTheirRows() {
        check(0.0, 0.5);
    }

    /** Rows 0, 4 and 8 are masked and hold {@code maskedLabel}; the others have multiplier {@code m}. */
    private void check(double maskedLabel, double m) {
        double[][] z = TestArrays.normal(rnd, N, K, 3);
        double[][] y = TestArrays.softLabels(rnd, N, K, 1);
        double[] mask = new double[N];
        int kept = 0;
        for (int i = 0; i < N; i++) {
            mask[i] = i % 4 == 0 ? 0 : m;
            if (i % 4 == 0) {
                java.util.Arrays.fill(y[i], maskedLabel);
                if (Double.isNaN(maskedLabel)) {
                    z[i][1] = Double.NaN;
                }
            } else {
                kept++;
            }
        }
        double[][] zKept = new double[kept][];
        double[][] yKept = new double[kept][];
        for (int i = 0, j = 0; i < N; i++) {
            if (i % 4 != 0) {
                zKept[j] = z[i];
                yKept[j++] = y[i];
            }
        }
        XentOptions plain = XentOptions.defaults();
        XentKernel.Result masked = Nd4jKernelPath.INSTANCE.compute(TestArrays.array(z, DataType.FLOAT),
                TestArrays.array(y, DataType.FLOAT), Nd4j.createFromArray(mask).castTo(DataType.FLOAT).reshape(N, 1),
                plain, XentKernel.Output.BOTH);
        XentKernel.Result alone = Nd4jKernelPath.INSTANCE.compute(TestArrays.array(zKept, DataType.FLOAT),
                TestArrays.array(yKept, DataType.FLOAT), null, plain, XentKernel.Output.BOTH);
        double[] g = HostValues.read(masked.gradient());
        double[] l = HostValues.read(masked.loss());
        double[] ga = HostValues.read(alone.gradient());
        double[] la = HostValues.read(alone.loss());
        // A non-finite label sum anywhere (here in a masked row) makes the path take every row's
        // label sum in float64: the unmasked rows may then differ from the float32 sums in the last bits.
        int ulps = Double.isNaN(maskedLabel) ? 4 : 0;
        for (int i = 0, j = 0; i < N; i++) {
            boolean isMasked = i % 4 == 0;
            double want = isMasked ? 0.0 : (float) (m * la[j]);
            assertEquals(want, l[i], ulps * Math.ulp((float) want), "loss of row " + i);
            for (int c = 0; c < K; c++) {
                want = isMasked ? 0.0 : (float) (m * ga[j * K + c]);
                assertEquals(want, g[i * K + c], ulps * Math.ulp((float) want), "gradient of row " + i + ", class " + c);
            }
            if (!isMasked) {
                j++;
            }
        }
    }
}
