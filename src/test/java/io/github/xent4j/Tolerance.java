package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import org.nd4j.linalg.api.buffer.DataType;

/** The contract's accuracy rule: {@code |v - r| <= rtol * |r| + a * T}. */
public final class Tolerance {
    public final double rtol;
    public final double a;

    private Tolerance(double rtol, double a) {
        this.rtol = rtol;
        this.a = a;
    }

    /** The contract's table for a data type and class count. */
    public static Tolerance of(DataType type, int k) {
        switch (type) {
            case DOUBLE:
                return new Tolerance(1e-12, 1e-13);
            case FLOAT:
                return k < 32000 ? new Tolerance(1e-5, 1e-6) : new Tolerance(1e-4, 1e-6);
            case HALF:
            case BFLOAT16:
                return new Tolerance(1e-2, 1e-3);
            default:
                throw new IllegalArgumentException(type.toString());
        }
    }

    public void check(String what, double actual, double expected, double scale) {
        assertFalse(Double.isNaN(actual), what + ": NaN (expected " + expected + ")");
        if (Double.isInfinite(expected)) {
            assertEquals(expected, actual, what + ": expected infinity");
            return;
        }
        double bound = rtol * Math.abs(expected) + a * scale;
        if (!(Math.abs(actual - expected) <= bound)) {
            fail(what + ": got " + actual + ", expected " + expected + " (|diff| " + Math.abs(actual - expected)
                    + " > bound " + bound + ")");
        }
    }
}
