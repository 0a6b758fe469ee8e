package io.github.xent4j;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code exp} of every lane, written with the Vector API so that it is the same code, and has
 * the same accuracy, on every CPU (the JDK's {@code lanewise(EXP)} is Intel SVML on x86-64 with
 * JDK 17 and a scalar loop elsewhere).
 *
 * <p>Method: {@code exp(x) = 2^n * exp(r)} with {@code n = round(x / ln 2)} and
 * {@code r = x - n ln 2} in {@code [-ln2/2, ln2/2]} (Cody-Waite: {@code ln 2} in two parts, so
 * {@code r} is exact to working precision); {@code exp(r)} is a polynomial; {@code 2^n} is built
 * from exponent bits in two factors {@code 2^(n/2) * 2^(n - n/2)}, each a normal number, so that
 * results in the subnormal range are rounded once and correctly.
 * <ul>
 *   <li>float: Cephes' degree-7 polynomial {@code 1 + r + r^2 P(r)}; at most 1.5 ulp against the
 *       correctly rounded value (tested against {@code Math.exp} over the whole range).</li>
 *   <li>double: the Taylor polynomial of degree 13 ({@code |r|^14 / 14! < 5e-18}); at most 2 ulp.</li>
 * </ul>
 * Special values: {@code -inf} and arguments below the subnormal range give {@code +0.0},
 * {@code +inf} and arguments above {@code ln(MAX_VALUE)} give {@code +inf}, NaN gives NaN,
 * {@code exp(0) = 1} exactly.
 */
final class VectorExp {
    private VectorExp() {
    }

    // float: round(x * log2(e)) by adding 1.5 * 2^23 (the fraction bits then hold n)
    private static final float F_LOG2E = 1.44269504088896341f;
    private static final float F_SHIFT = 12582912f;
    private static final int F_SHIFT_BITS = Float.floatToRawIntBits(F_SHIFT);
    private static final float F_LN2_HI = 0.693359375f;
    private static final float F_LN2_LO = -2.12194440e-4f;
    /** exp(x) rounds to 0 below about -103.97 and overflows above 88.72; clamping keeps n in [-150, 128]. */
    private static final float F_MIN = -104f;
    private static final float F_MAX = 89f;

    /** {@code exp} of every lane of a float vector. */
    static FloatVector exp(FloatVector x) {
        x = x.max(F_MIN).min(F_MAX);                                  // NaN stays NaN
        FloatVector shifted = x.fma(F_LOG2E, F_SHIFT);
        FloatVector n = shifted.sub(F_SHIFT);
        FloatVector r = n.fma(n.broadcast(-F_LN2_HI), x);
        r = n.fma(n.broadcast(-F_LN2_LO), r);
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f)
                .fma(r, r.broadcast(8.3334519073E-3f))
                .fma(r, r.broadcast(4.1665795894E-2f))
                .fma(r, r.broadcast(1.6666665459E-1f))
                .fma(r, r.broadcast(5.0000001201E-1f));
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector ni = shifted.reinterpretAsInts().sub(F_SHIFT_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    // double: the same with 1.5 * 2^52
    private static final double D_LOG2E = 1.4426950408889634;
    private static final double D_SHIFT = 6755399441055744.0;
    private static final long D_SHIFT_BITS = Double.doubleToRawLongBits(D_SHIFT);
    private static final double D_LN2_HI = 6.93147180369123816490e-01;
    private static final double D_LN2_LO = 1.90821492927058770002e-10;
    /** exp(x) rounds to 0 below about -745.13 and overflows above 709.78; n stays in [-1077, 1025]. */
    private static final double D_MIN = -746;
    private static final double D_MAX = 710;

    /** {@code exp} of every lane of a double vector. */
    static DoubleVector exp(DoubleVector x) {
        x = x.max(D_MIN).min(D_MAX);
        DoubleVector shifted = x.fma(D_LOG2E, D_SHIFT);
        DoubleVector n = shifted.sub(D_SHIFT);
        DoubleVector r = n.fma(n.broadcast(-D_LN2_HI), x);
        r = n.fma(n.broadcast(-D_LN2_LO), r);
        DoubleVector p = r.fma(1.0 / 6227020800.0, 1.0 / 479001600.0)     // 1/13!, 1/12!
                .fma(r, r.broadcast(1.0 / 39916800.0))
                .fma(r, r.broadcast(1.0 / 3628800.0))
                .fma(r, r.broadcast(1.0 / 362880.0))
                .fma(r, r.broadcast(1.0 / 40320.0))
                .fma(r, r.broadcast(1.0 / 5040.0))
                .fma(r, r.broadcast(1.0 / 720.0))
                .fma(r, r.broadcast(1.0 / 120.0))
                .fma(r, r.broadcast(1.0 / 24.0))
                .fma(r, r.broadcast(1.0 / 6.0))
                .fma(r, r.broadcast(0.5));
        p = p.mul(r.mul(r)).add(r).add(1.0);
        LongVector ni = shifted.reinterpretAsLongs().sub(D_SHIFT_BITS);
        LongVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        LongVector n2 = ni.sub(n1);
        DoubleVector s1 = n1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector s2 = n2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(s1).mul(s2);
    }

    // Array forms at the preferred width, for tests and measurements (reflectively: tests are
    // compiled without the incubator module).

    private static final jdk.incubator.vector.VectorSpecies<Float> PF = FloatVector.SPECIES_PREFERRED;
    private static final jdk.incubator.vector.VectorSpecies<Double> PD = DoubleVector.SPECIES_PREFERRED;

    /** {@code out[i] = exp(x[i])}; {@code svml}: the JDK's {@code lanewise(EXP)} instead. */
    static void exp(float[] x, float[] out, boolean svml) {
        int i = 0;
        for (; i + PF.length() <= x.length; i += PF.length()) {
            FloatVector v = FloatVector.fromArray(PF, x, i);
            (svml ? v.lanewise(VectorOperators.EXP) : exp(v)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            FloatVector v = FloatVector.broadcast(PF, x[i]);
            out[i] = (svml ? v.lanewise(VectorOperators.EXP) : exp(v)).lane(0);
        }
    }

    /** {@code out[i] = exp(x[i])}; {@code svml}: the JDK's {@code lanewise(EXP)} instead. */
    static void exp(double[] x, double[] out, boolean svml) {
        int i = 0;
        for (; i + PD.length() <= x.length; i += PD.length()) {
            DoubleVector v = DoubleVector.fromArray(PD, x, i);
            (svml ? v.lanewise(VectorOperators.EXP) : exp(v)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            DoubleVector v = DoubleVector.broadcast(PD, x[i]);
            out[i] = (svml ? v.lanewise(VectorOperators.EXP) : exp(v)).lane(0);
        }
    }
}
