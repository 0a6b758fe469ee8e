package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The fused kernel's exp at every vector width against {@code StrictMath.exp} (fdlibm, within
 * 1 ulp of the exact value in float64, so exact to far below a float32 ulp) over the whole range
 * of arguments, and its special values.
 */
class VectorExpTest {

    /** Error in units of the last place of the float32 result. */
    static double ulpsFloat(float got, double exact) {
        float rounded = (float) exact;
        double ulp = Math.ulp(rounded == 0 ? Float.MIN_VALUE : rounded);
        if (Float.isInfinite(rounded)) {
            return Float.isInfinite(got) ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs(got - exact) / ulp;
    }

    /**
     * Rows whose logits span at most 86 / t use an exp without the clamp and with one power-of-two
     * factor: it must give the same bits as the full exp over its whole range (every 251st float
     * from -0 down to -86, both ends included, 4.4 million arguments).
     */
    @Test
    void float32NarrowRangeExpHasTheFullExpsBits() {
        for (KernelPath p : VectorPaths.widths()) {
            float[] x = new float[1 << 16];
            float[] full = new float[x.length];
            float[] narrow = new float[x.length];
            long last = Float.floatToRawIntBits(-86f) & 0xffffffffL;
            long count = 0;
            for (long b = 0x80000000L; b <= last; ) {
                int m = 0;
                for (; m < x.length && b <= last; m++, b += 251) {
                    x[m] = Float.intBitsToFloat((int) b);
                }
                if (b > last && m < x.length) {
                    x[m++] = -86f;
                }
                java.util.Arrays.fill(x, m, x.length, 0f);
                VectorPaths.exp(p, x, full, false);
                VectorPaths.expNarrow(p, x, narrow);
                for (int i = 0; i < m; i++) {
                    if (Float.floatToRawIntBits(full[i]) != Float.floatToRawIntBits(narrow[i])) {
                        assertEquals(full[i], narrow[i], p.name() + ": exp(" + x[i] + ")");
                    }
                }
                count += m;
            }
            assertTrue(count > 4_000_000, "arguments tested: " + count);
        }
    }

    @Test
    void float32ExpIsWithinTwoUlpsEverywhere() {
        // every 997th float from -0 down to -110 and from +0 up to 95 (all exponents, 2.2 million
        // arguments, beyond both ends of the finite, non-zero results)
        for (KernelPath p : VectorPaths.widths()) {
            float[] x = new float[1 << 16];
            float[] out = new float[x.length];
            double worst = 0;
            float worstAt = 0;
            int count = 0;
            long[][] ranges = {{0x80000000L, Float.floatToRawIntBits(-110f) & 0xffffffffL},
                    {0, Float.floatToRawIntBits(95f)}};
            for (long[] range : ranges) {
                for (long b = range[0]; b <= range[1]; ) {
                    int m = 0;
                    for (; m < x.length && b <= range[1]; m++, b += 997) {
                        x[m] = Float.intBitsToFloat((int) b);
                    }
                    VectorPaths.exp(p, x, out, false);
                    for (int i = 0; i < m; i++) {
                        double e = ulpsFloat(out[i], StrictMath.exp(x[i]));
                        if (e > worst) {
                            worst = e;
                            worstAt = x[i];
                        }
                    }
                    count += m;
                }
            }
            assertTrue(count > 2_000_000, "arguments tested: " + count);
            assertTrue(worst <= 2, p.name() + ": worst error " + worst + " ulp at " + worstAt);
            System.out.printf("float32 exp, %s: worst %.3f ulp at %s over %d arguments%n", p.name(), worst, worstAt, count);
        }
    }

    @Test
    void float64ExpIsWithinTwoUlpsEverywhere() {
        java.util.Random rnd = new java.util.Random(3);
        double[] x = new double[1 << 18];
        for (int i = 0; i < x.length; i++) {
            // uniform over [-750, 712], then extra density near 0 and in the subnormal range
            x[i] = i % 4 == 0 ? rnd.nextGaussian() : i % 4 == 1 ? -708 - 40 * rnd.nextDouble() : -750 + 1462 * rnd.nextDouble();
        }
        double[] out = new double[x.length];
        for (KernelPath p : VectorPaths.widths()) {
            VectorPaths.exp(p, x, out, false);
            double worst = 0;
            double worstAt = 0;
            for (int i = 0; i < x.length; i++) {
                double exact = StrictMath.exp(x[i]);
                double err = Double.isInfinite(exact) ? (Double.isInfinite(out[i]) ? 0 : Double.POSITIVE_INFINITY)
                        : Math.abs(out[i] - exact) / Math.ulp(exact == 0 ? Double.MIN_VALUE : exact);
                if (err > worst) {
                    worst = err;
                    worstAt = x[i];
                }
            }
            // StrictMath.exp is itself within 1 ulp
            assertTrue(worst <= 2, p.name() + ": worst error " + worst + " ulp at " + worstAt);
        }
    }

    @Test
    void specialValues() {
        float[] x = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, -200f, 200f, -103.9f, 88.7f,
                89f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -87.5f, -100f, 1e-30f};
        float[] out = new float[x.length];
        double[] xd = new double[x.length];
        double[] outD = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i] * (Float.isFinite(x[i]) && Math.abs(x[i]) > 50 ? 7.5 : 1);
        }
        for (KernelPath p : VectorPaths.widths()) {
            VectorPaths.exp(p, x, out, false);
            VectorPaths.exp(p, xd, outD, false);
            assertEquals(0f, out[0], 0f, "exp(-inf)");
            assertEquals(Float.POSITIVE_INFINITY, out[1], "exp(+inf)");
            assertTrue(Float.isNaN(out[2]), "exp(NaN)");
            assertEquals(1f, out[3], 0f, "exp(0)");
            assertEquals(1f, out[4], 0f, "exp(-0)");
            assertEquals(0f, out[5], 0f, "exp(-200)");
            assertEquals(Float.POSITIVE_INFINITY, out[6], "exp(200)");
            assertEquals(Float.POSITIVE_INFINITY, out[10], "exp(MAX)");
            assertEquals(0f, out[11], 0f, "exp(-MAX)");
            assertEquals(0.0, outD[0], 0.0, "float64 exp(-inf)");
            assertEquals(Double.POSITIVE_INFINITY, outD[1], "float64 exp(+inf)");
            assertTrue(Double.isNaN(outD[2]), "float64 exp(NaN)");
            assertEquals(1.0, outD[3], 0.0, "float64 exp(0)");
            assertEquals(0.0, outD[5], 0.0, "float64 exp(-1500)");
            assertEquals(Double.POSITIVE_INFINITY, outD[6], "float64 exp(1500)");
            for (int i = 0; i < x.length; i++) {
                assertTrue(!Float.isNaN(out[i]) || Float.isNaN(x[i]), "no NaN from " + x[i]);
                assertTrue(!Double.isNaN(outD[i]) || Double.isNaN(xd[i]), "no NaN from " + xd[i]);
            }
        }
    }

    /** The JDK's lanewise(EXP) for comparison (SVML on x86-64 with JDK 17), printed, not asserted. */
    @Test
    void jdkExpAccuracyForComparison() {
        float[] x = new float[1 << 16];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = -100 * rnd.nextFloat();
        }
        float[] poly = new float[x.length];
        float[] jdk = new float[x.length];
        KernelPath p = VectorPaths.widths().get(0);
        VectorPaths.exp(p, x, poly, false);
        VectorPaths.exp(p, x, jdk, true);
        double worstPoly = 0;
        double worstJdk = 0;
        for (int i = 0; i < x.length; i++) {
            worstPoly = Math.max(worstPoly, ulpsFloat(poly[i], StrictMath.exp(x[i])));
            worstJdk = Math.max(worstJdk, ulpsFloat(jdk[i], StrictMath.exp(x[i])));
        }
        System.out.printf("float32 exp on [-100, 0], %s: polynomial %.2f ulp, lanewise(EXP) %.2f ulp%n", p.name(),
                worstPoly, worstJdk);
        assertTrue(worstPoly <= 2, "polynomial: " + worstPoly);
    }
}
