package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The fused kernel's paths for tests, reached reflectively (the tests are compiled without the
 * incubator module and without {@code META-INF/versions/17}), and the check at half the
 * contract's tolerance that every width must pass.
 */
final class VectorPaths {
    private VectorPaths() {
    }

    /** {@code vector} at its width, then {@code vector-256}, {@code vector-128} as far as narrower. */
    static List<KernelPath> widths() {
        List<KernelPath> v = KernelPaths.available().stream().filter(p -> p.name().startsWith("vector"))
                .collect(Collectors.toList());
        if (v.isEmpty()) {
            fail("the test JVM has no vector path (is it started with --add-modules jdk.incubator.vector?)");
        }
        return v;
    }

    /** The width of a path, in bits. */
    static int bits(KernelPath p) {
        return Integer.parseInt(p.toString().replaceAll(".*?(\\d+)-bit.*", "$1"));
    }

    /** {@code VectorKernelPath.create(bits, threads, parallelMinElements)}. */
    static KernelPath fixed(int bits, int threads, long parallelMinElements) {
        try {
            return (KernelPath) Class.forName(KernelPaths.VECTOR_CLASS).getMethod("create", int.class, int.class, long.class)
                    .invoke(null, bits, threads, parallelMinElements);
        } catch (InvocationTargetException e) {
            throw new AssertionError(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code VectorKernelPath.createRowByRow(bits, 1, 0)}: rows never run several at a time in lanes. */
    static KernelPath rowByRow(int bits) {
        try {
            return (KernelPath) Class.forName(KernelPaths.VECTOR_CLASS).getMethod("createRowByRow", int.class, int.class,
                    long.class).invoke(null, bits, 1, 0L);
        } catch (InvocationTargetException e) {
            throw new AssertionError(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code VectorKernelPath.createStaged(bits, threads, 0)}: float32 rows are always staged, never read in place. */
    static KernelPath staged(int bits, int threads) {
        try {
            return (KernelPath) Class.forName(KernelPaths.VECTOR_CLASS).getMethod("createStaged", int.class, int.class,
                    long.class).invoke(null, bits, threads, 0L);
        } catch (InvocationTargetException e) {
            throw new AssertionError(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code VectorKernelPath.inPlaceMinClasses}: the fewest classes of the float32 rows read in place, or {@code Integer.MAX_VALUE}. */
    static int inPlaceMinClasses(KernelPath p) {
        try {
            return (int) Class.forName(KernelPaths.VECTOR_CLASS).getDeclaredMethod("inPlaceMinClasses", KernelPath.class)
                    .invoke(null, p);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code VectorKernelPath.rowGroup}: how many rows of {@code k} classes the path runs at a time. */
    static int rowGroup(KernelPath p, boolean dbl, int k) {
        try {
            return (int) Class.forName(KernelPaths.VECTOR_CLASS).getDeclaredMethod("rowGroup", KernelPath.class,
                    boolean.class, int.class).invoke(null, p, dbl, k);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The kernel's exp at the path's width ({@code jdk}: the JDK's {@code lanewise(EXP)}). */
    static void exp(KernelPath p, float[] x, float[] out, boolean jdk) {
        invokeExp(p, float[].class, x, out, jdk);
    }

    static void exp(KernelPath p, double[] x, double[] out, boolean jdk) {
        invokeExp(p, double[].class, x, out, jdk);
    }

    static void expNarrow(KernelPath p, float[] x, float[] out) {
        try {
            Class.forName(KernelPaths.VECTOR_CLASS).getDeclaredMethod("expNarrow", KernelPath.class, float[].class,
                    float[].class).invoke(null, p, x, out);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static void invokeExp(KernelPath p, Class<?> array, Object x, Object out, boolean jdk) {
        try {
            Class.forName(KernelPaths.VECTOR_CLASS).getDeclaredMethod("exp", KernelPath.class, array, array, boolean.class)
                    .invoke(null, p, x, out, jdk);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Runs {@code path} for every output and checks each value against {@link Reference} at half
     * the contract's tolerance.
     */
    static void checkHalfTolerance(KernelPath path, INDArrayCase c) {
        int n = (int) c.logits.size(0);
        int k = (int) c.logits.size(1);
        Tolerance tol = Tolerance.of(c.logits.dataType(), k);
        double[][] z = TestArrays.values(c.logits);
        XentKernel.Result both = path.compute(c.logits, c.labels, c.mask, c.options, XentKernel.Output.BOTH);
        XentKernel.Result gradAndSum = path.compute(c.logits, c.labels, c.mask, c.options,
                XentKernel.Output.GRADIENT_AND_LOSS_SUM);
        XentKernel.Result sum = path.compute(c.logits, c.labels, c.mask, c.options, XentKernel.Output.LOSS_SUM);
        assertEquals(c.logits.dataType(), both.loss().dataType(), "loss type");
        assertEquals(c.logits.dataType(), both.gradient().dataType(), "gradient type");
        double[] loss = TestArrays.vector(both.loss());
        double[][] grad = TestArrays.values(both.gradient());
        assertEquals(both.lossSum(), gradAndSum.lossSum(), 0.0, "GRADIENT_AND_LOSS_SUM sum equals BOTH");
        assertEquals(both.lossSum(), sum.lossSum(), 0.0, "LOSS_SUM equals BOTH");
        double[][] g2 = TestArrays.values(gradAndSum.gradient());
        double expectedSum = 0;
        double sumScale = 0;
        double[] w = c.options.classWeights();
        String at = path.name() + " " + c.name;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                assertEquals(grad[i][j], g2[i][j], 0.0, at + ": gradients of BOTH and GRADIENT_AND_LOSS_SUM");
            }
            double rw = c.rowWeights == null ? 1 : c.rowWeights[i];
            if (rw == 0) {
                assertEquals(0.0, loss[i], 0.0, at + ": masked row " + i + " loss");
                for (int j = 0; j < k; j++) {
                    assertEquals(0.0, grad[i][j], 0.0, at + ": masked row " + i + " gradient");
                }
                continue;
            }
            Reference.Row r = Reference.row(z[i], c.refLabels[i], c.available == null ? null : c.available[i], w,
                    c.options.labelSmoothing(), c.options.temperature(), c.options.zLoss());
            close(tol, at + ": loss row " + i, loss[i], rw * r.loss, Math.abs(rw) * r.lossScale);
            // the sum is of the losses as returned: one beyond the type's range is infinite
            double returned = rw * r.loss;
            expectedSum += Math.abs(returned) > tol.largest ? Math.copySign(Double.POSITIVE_INFINITY, returned) : returned;
            sumScale += Math.abs(rw) * r.lossScale + Math.abs(rw * r.loss);
            for (int j = 0; j < k; j++) {
                if (c.available != null && c.available[i][j] == 0) {
                    assertEquals(0.0, grad[i][j], 0.0, at + ": unavailable class [" + i + "," + j + "]");
                } else {
                    close(tol, at + ": gradient [" + i + "," + j + "]", grad[i][j], rw * r.grad[j], Math.abs(rw) * r.gradScale);
                }
            }
        }
        if (Double.isInfinite(expectedSum)) {
            assertEquals(expectedSum, both.lossSum(), at + ": infinite loss sum");
        } else if (!Double.isNaN(expectedSum)) {
            // each row within half its tolerance, so the sum within half the sum of the row bounds
            double bound = 0.5 * (tol.rtol * sumScale + tol.a * sumScale);
            if (!(Math.abs(both.lossSum() - expectedSum) <= bound)) {
                fail(at + ": loss sum " + both.lossSum() + ", expected " + expectedSum + " (bound " + bound + ")");
            }
        }
    }

    /** {@code |v - r| <= (rtol |r| + a T) / 2}; infinities must match. */
    static void close(Tolerance tol, String what, double actual, double expected, double scale) {
        assertFalse(Double.isNaN(actual), what + ": NaN (expected " + expected + ")");
        if (Math.abs(expected) > tol.largest) {
            expected = Math.copySign(Double.POSITIVE_INFINITY, expected);
        }
        if (Double.isInfinite(expected)) {
            assertEquals(expected, actual, what + ": expected infinity");
            return;
        }
        double bound = 0.5 * (tol.rtol * Math.abs(expected) + tol.a * scale);
        if (!(Math.abs(actual - expected) <= bound)) {
            fail(what + ": got " + actual + ", expected " + expected + " (|diff| " + Math.abs(actual - expected)
                    + " > half tolerance " + bound + ")");
        }
    }

    /** One input with what the reference needs to check it. */
    static final class INDArrayCase {
        final String name;
        final org.nd4j.linalg.api.ndarray.INDArray logits;
        final org.nd4j.linalg.api.ndarray.INDArray labels;
        final org.nd4j.linalg.api.ndarray.INDArray mask;
        final XentOptions options;
        final double[][] refLabels;
        final double[] rowWeights;
        final double[][] available;

        INDArrayCase(String name, org.nd4j.linalg.api.ndarray.INDArray logits, org.nd4j.linalg.api.ndarray.INDArray labels,
                     org.nd4j.linalg.api.ndarray.INDArray mask, XentOptions options, double[][] refLabels,
                     double[] rowWeights, double[][] available) {
            this.name = name;
            this.logits = logits;
            this.labels = labels;
            this.mask = mask;
            this.options = options;
            this.refLabels = refLabels;
            this.rowWeights = rowWeights;
            this.available = available;
        }
    }
}
