package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The oracle itself: its sums must be far more accurate than the float64 tolerance it checks. */
class ReferenceTest {
    /**
     * K = 32000, smoothing 0.5, temperature 2, ten maxima far above the rest and one label of 100:
     * {@code S = 0.5 * 100 + 0.5 = 50.5} and the maxima's gradient is
     * {@code 2 * (50.5 / 10 - 0.5 / 32000) = 10.09996875} exactly. A plain float64 sum of the
     * 32000 smoothed labels gives {@code S} 5e-11 too large, and a gradient off by 1.0e-12
     * relative: more than the float64 tolerance's margin (5e-13).
     */
    @Test
    void longRowsOfSmoothedLabelsSumExactly() {
        int k = 32000;
        double[] z = new double[k];
        Arrays.fill(z, -1);
        for (int j = 0; j < 10; j++) {
            z[j * 100] = 1e300;
        }
        double[] y = new double[k];
        y[5] = 100;
        Reference.Row r = Reference.row(z, y, null, null, 0.5, 2, 0);
        assertEquals(101.0, r.gradScale, 2 * Math.ulp(101.0), "t * S");
        assertEquals(10.09996875, r.grad[0], 2 * Math.ulp(10.1), "gradient of a maximum");
        assertEquals(-2 * 0.5 / k, r.grad[1], 1e-20, "gradient of a class far below the maxima");
    }
}
