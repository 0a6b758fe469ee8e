package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The contract's accuracy rule: {@code |v - r| <= rtol * max(|r|, N_min) + a * T}, with
 * {@code N_min} the type's smallest normal number. Below {@code N_min} a type holds values only to
 * a fixed spacing (2^-149 for float32), so the relative part is measured against {@code N_min}:
 * the absolute error the rule allows at the bottom of the normal range (84 spacings in float32).
 */
public final class Tolerance {
    public final double rtol;
    public final double a;
    /** Largest finite value of the type: a true value beyond it must come back as infinity. */
    public final double largest;
    /** Smallest normal value of the type: below it the type's spacing is fixed. */
    public final double smallestNormal;

    private Tolerance(double rtol, double a, double largest, double smallestNormal) {
        this.rtol = rtol;
        this.a = a;
        this.largest = largest;
        this.smallestNormal = smallestNormal;
    }

    /** The contract's table for a data type and class count. */
    public static Tolerance of(DataType type, int k) {
        switch (type) {
            case DOUBLE:
                return new Tolerance(1e-12, 1e-13, Double.MAX_VALUE, Double.MIN_NORMAL);
            case FLOAT:
                return new Tolerance(k < 32000 ? 1e-5 : 1e-4, 1e-6, Float.MAX_VALUE, Float.MIN_NORMAL);
            case HALF:
                return new Tolerance(1e-2, 1e-3, 65504, 0x1p-14);
            case BFLOAT16:
                return new Tolerance(1e-2, 1e-3, 3.3895313892515355e38, Float.MIN_NORMAL);
            default:
                throw new IllegalArgumentException(type.toString());
        }
    }

    /**
     * Half of this tolerance for float32 and float64: the margin every path keeps on every CPU
     * (AVX2 and AVX-512), so that rounding differences between native builds and vector widths
     * stay inside the contract.
     */
    public Tolerance withMargin() {
        // The half types round their results to 8 or 11 bits (ND4J truncates to bfloat16): their
        // tolerance is the contract's.
        if (rtol >= 1e-2) {
            return this;
        }
        return new Tolerance(rtol / 2, a / 2, largest, smallestNormal);
    }

    public void check(String what, double actual, double expected, double scale) {
        assertFalse(Double.isNaN(actual), what + ": NaN (expected " + expected + ")");
        if (Math.abs(expected) > largest) {
            expected = Math.copySign(Double.POSITIVE_INFINITY, expected);
        }
        if (Double.isInfinite(expected)) {
            assertEquals(expected, actual, what + ": expected infinity");
            return;
        }
        double bound = rtol * Math.max(Math.abs(expected), smallestNormal) + a * scale;
        if (!(Math.abs(actual - expected) <= bound)) {
            fail(what + ": got " + actual + ", expected " + expected + " (|diff| " + Math.abs(actual - expected)
                    + " > bound " + bound + ")");
        }
    }
}
