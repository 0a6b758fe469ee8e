package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Seeded differential fuzzing of every {@link KernelVariants} entry against the float64
 * {@link Reference}: random data types (the half types too), shapes ({@code N} 0..70, {@code K}
 * 1..40 and a few large K), layouts (views, f-order, strided slices), label kinds (soft, one-hot,
 * class ids of four types with {@code ignoreIndex}), every mask kind, option combinations and
 * special values (NaN, +-inf, -0.0, subnormals, values near the type's maximum, gaps of 1e4).
 * Every outcome must be either within the contract's tolerance (half of it for float32 and
 * float64) or a documented {@link IllegalArgumentException} that names an argument holding an
 * invalid value. Inputs must never change (checked on every fourth case).
 *
 * <p>{@code -Dxent4j.fuzz.seed=S} reproduces a run (the seed is printed);
 * {@code -Dxent4j.fuzz.cases=50000} is the extended run (default 2000 cases, each on every path).
 */
class KernelFuzzTest {
    static final long SEED = Long.getLong("xent4j.fuzz.seed", 20261201L);
    static final int CASES = Integer.getInteger("xent4j.fuzz.cases", 2000);
    /** The first case that runs (the earlier ones are skipped, not generated): reproduces a failing case at once. */
    static final int FIRST = Integer.getInteger("xent4j.fuzz.first", 0);
    static final DataType[] TYPES = {DataType.FLOAT, DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.BFLOAT16};

    /** One generated input with what the reference needs to know about it. */
    static final class Case {
        String description;
        INDArray logits;
        INDArray labels;
        INDArray mask;
        XentOptions options;
        XentKernel.Output output;
        double[][] z;              // logits as the kernel sees them
        double[][] y;              // soft labels as the kernel sees them (one-hot for ids)
        double[] rowWeights;       // per-row multiplier (0: masked or ignored)
        double[][] available;      // per-output availability or null
        /** Arguments with an invalid value: an IllegalArgumentException must name one of them. */
        final Set<String> invalid = new LinkedHashSet<>();
        /** Arguments whose value may be rejected (label sums at the edge of the type's range). */
        final Set<String> mayReject = new LinkedHashSet<>();
    }

    @Test
    void everyPathMatchesTheReferenceOrRejectsByName() {
        run(SEED, FIRST, CASES);
    }

    /** Runs cases {@code first} to {@code cases - 1} of the run seed {@code seed} on every path. */
    static void run(long seed, int first, int cases) {
        System.out.println("KernelFuzzTest: seed " + seed + ", cases " + first + " to " + (cases - 1) + " on "
                + KernelVariants.all() + " (reproduce with -Dxent4j.fuzz.seed=" + seed
                + ", one case N with -Dxent4j.fuzz.first=N -Dxent4j.fuzz.cases=N+1)");
        Random rnd = new Random(seed);
        long start = System.nanoTime();
        int rejected = 0;
        for (int c = 0; c < first; c++) {
            rnd.nextLong();                              // each case is generated from its own seed
        }
        for (int c = first; c < cases; c++) {
            long caseSeed = rnd.nextLong();
            Case x = generate(new Random(caseSeed));
            String id = "case " + c + " (case seed " + caseSeed + ", run seed " + seed + "): " + x.description;
            INDArray[] inputs = {x.logits, x.labels, x.mask};
            boolean watch = c % 4 == 0;                  // inputs never change: checked on every 4th case
            double[][] before = watch ? snapshot(inputs) : null;
            for (KernelPath path : KernelVariants.all()) {
                String what = id + " on " + path;
                XentKernel.Result r;
                try {
                    r = path.compute(x.logits, x.labels, x.mask, x.options, x.output);
                } catch (IllegalArgumentException e) {
                    Set<String> allowed = new LinkedHashSet<>(x.invalid);
                    allowed.addAll(x.mayReject);
                    assertFalse(allowed.isEmpty(), what + ": unexpected " + e);
                    assertTrue(allowed.stream().anyMatch(a -> e.getMessage().contains(a)),
                            what + ": message should name one of " + allowed + ": " + e.getMessage());
                    rejected++;
                    continue;
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": " + e, e);
                }
                assertTrue(x.invalid.isEmpty(), what + ": accepted invalid " + x.invalid);
                verify(what, x, r);
                if (x.output.gradient && c % 2 == 0) {
                    sameIntoGradientOut(what, path, x, r);
                }
            }
            if (watch) {
                double[][] after = snapshot(inputs);
                for (int i = 0; i < inputs.length; i++) {
                    assertTrue(Arrays.equals(before[i], after[i]), id + ": input " + i + " was modified");
                }
            }
        }
        System.out.printf("KernelFuzzTest: %d cases x %d paths in %.1f s, %d rejections%n", cases - first,
                KernelVariants.all().size(), (System.nanoTime() - start) / 1e9, rejected);
    }

    /**
     * The {@code gradientOut} overload gives exactly the same results, in the array it was given,
     * which held NaN before (so every element must have been written).
     */
    static void sameIntoGradientOut(String what, KernelPath path, Case x, XentKernel.Result r) {
        INDArray out = Nd4j.valueArrayOf(x.logits.shape(), Double.NaN, x.logits.dataType());
        XentKernel.Result into = path.compute(x.logits, x.labels, x.mask, x.options, x.output, out);
        assertSame(out, into.gradient(), what + ": gradientOut is the result's gradient");
        assertTrue(Arrays.equals(exactly(r.gradient()), exactly(out)), what + ": gradient written into gradientOut");
        assertTrue(Arrays.equals(exactly(r.loss()), exactly(into.loss())), what + ": loss with gradientOut");
        assertEquals(Double.doubleToLongBits(r.lossSum()), Double.doubleToLongBits(into.lossSum()),
                what + ": loss sum with gradientOut");
    }

    /** Every element as a float64 (exact for every floating type), in c order; null for null. */
    static double[] exactly(INDArray a) {
        return a == null ? null : a.length() == 0 ? new double[0]
                : a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    }

    static double[][] snapshot(INDArray[] arrays) {
        double[][] out = new double[arrays.length][];
        for (int i = 0; i < arrays.length; i++) {
            INDArray a = arrays[i];
            out[i] = a == null || a.length() == 0 ? new double[0]
                    : a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // The oracle

    static void verify(String what, Case x, XentKernel.Result r) {
        DataType type = x.logits.dataType();
        int n = (int) x.logits.size(0);
        int k = (int) x.logits.size(1);
        Tolerance tol = Tolerance.of(type, k).withMargin();
        XentOptions o = x.options;
        double[] loss = r.loss() == null ? null : TestArrays.vector(r.loss());
        double[][] grad = r.gradient() == null ? null : n == 0 ? new double[0][k] : TestArrays.values(r.gradient());
        if (x.output.perExample) {
            assertArrayEquals(new long[]{n}, r.loss().shape(), what + ": loss shape");
            assertEquals(type, r.loss().dataType(), what + ": loss type");
        }
        if (x.output.gradient) {
            assertArrayEquals(new long[]{n, k}, r.gradient().shape(), what + ": gradient shape");
            assertEquals(type, r.gradient().dataType(), what + ": gradient type");
        }
        double sum = 0;
        double sumAbs = 0;
        double sumScale = 0;
        boolean plusInf = false;
        boolean minusInf = false;
        boolean overflowAllowed = false;
        boolean nearLargest = false;
        double finiteSum = 0;
        for (int i = 0; i < n; i++) {
            double rw = x.rowWeights[i];
            if (rw == 0) {
                if (loss != null) {
                    assertEquals(0.0, loss[i], 0.0, what + ": masked row " + i + " loss");
                }
                if (grad != null) {
                    for (int j = 0; j < k; j++) {
                        assertEquals(0.0, grad[i][j], 0.0, what + ": masked row " + i + " gradient");
                    }
                }
                continue;
            }
            double[] avail = x.available == null ? null : x.available[i];
            Reference.Row ref = Reference.row(x.z[i], x.y[i], avail, o.classWeights(), o.labelSmoothing(),
                    o.temperature(), o.zLoss());
            // The loss need only be finite when every |z_j - z_k| / t is representable in the type.
            boolean gapsRepresentable = gapsRepresentable(x.z[i], avail, o.temperature(), tol.largest);
            double expected = rw * ref.loss;
            double asReturned = Math.abs(expected) > tol.largest ? expected * Double.POSITIVE_INFINITY : expected;
            // within the tolerance of the type's largest value a loss may be returned as that
            // value or as infinity (rounding to nearest overflows only half a unit beyond it):
            // the sum may then be either
            nearLargest |= Math.abs(expected) > tol.largest * (1 - 4 * tol.rtol)
                    && Math.abs(expected) < tol.largest * (1 + 4 * tol.rtol);
            finiteSum += Math.abs(expected) > tol.largest * (1 + 4 * tol.rtol) ? asReturned : expected;
            if (loss != null) {
                checkValue(what + ": loss row " + i, tol, loss[i], expected, Math.abs(rw) * ref.lossScale,
                        !gapsRepresentable);
            }
            overflowAllowed |= !gapsRepresentable;
            plusInf |= asReturned == Double.POSITIVE_INFINITY;
            minusInf |= asReturned == Double.NEGATIVE_INFINITY;
            sum += asReturned;
            sumAbs += Math.abs(expected);
            sumScale += Math.abs(rw) * ref.lossScale;
            if (grad != null) {
                for (int j = 0; j < k; j++) {
                    if (avail != null && avail[j] == 0) {
                        assertEquals(0.0, grad[i][j], 0.0, what + ": unavailable class [" + i + "," + j + "]");
                    } else {
                        checkValue(what + ": gradient [" + i + "," + j + "]", tol, grad[i][j], rw * ref.grad[j],
                                Math.abs(rw) * ref.gradScale, false);
                    }
                }
            }
        }
        if (!x.output.lossSum) {
            assertTrue(Double.isNaN(r.lossSum()), what + ": no loss sum was asked for");
        } else if (!(plusInf && minusInf) && !overflowAllowed) {
            double got = r.lossSum();
            assertFalse(Double.isNaN(got), what + ": loss sum NaN");
            if (nearLargest && Double.isInfinite(got) && !Double.isNaN(finiteSum * Double.POSITIVE_INFINITY)
                    && Math.signum(got) == Math.signum(finiteSum)) {
                return;                                  // a row at the edge of the range came back as infinity
            }
            if (nearLargest) {
                sum = finiteSum;                         // ... or as the largest value
            }
            if (Double.isInfinite(sum)) {
                assertEquals(sum, got, what + ": loss sum");
            } else if (!(Math.abs(got - sum) <= tol.rtol * Math.max(sumAbs, tol.smallestNormal) + tol.a * sumScale)) {
                // the same rule as for each value: below N_min the type holds the sum only to its
                // fixed spacing (a bfloat16 sum near 1e-39 is a multiple of 2^-133)
                fail(what + ": loss sum " + got + ", expected " + sum);
            }
        }
    }

    /**
     * The contract's check; a value within rounding of the type's largest finite value may come
     * back as infinity of the right sign, and so may any loss whose gaps are not representable.
     */
    static void checkValue(String what, Tolerance tol, double actual, double expected, double scale,
                           boolean overflowAllowed) {
        if (Double.isInfinite(actual) && !Double.isInfinite(expected) && Math.signum(actual) == Math.signum(expected)
                && (overflowAllowed || Math.abs(expected) * (1 + 4 * tol.rtol) > tol.largest)) {
            return;
        }
        // just beyond the largest value, rounding to nearest gives the largest value, not infinity
        if (Math.abs(actual) == tol.largest && Math.signum(actual) == Math.signum(expected)
                && Math.abs(expected) <= tol.largest * (1 + 4 * tol.rtol)) {
            return;
        }
        tol.check(what, actual, expected, scale);
    }

    static boolean gapsRepresentable(double[] z, double[] avail, double t, double largest) {
        double hi = Double.NEGATIVE_INFINITY;
        double lo = Double.POSITIVE_INFINITY;
        for (int j = 0; j < z.length; j++) {
            if ((avail == null || avail[j] != 0) && Double.isFinite(z[j])) {
                hi = Math.max(hi, z[j]);
                lo = Math.min(lo, z[j]);
            }
        }
        return !(hi > lo) || (hi - lo) / t <= largest && Math.abs(hi) / t <= largest && Math.abs(lo) / t <= largest;
    }

    // ------------------------------------------------------------------------------------------
    // The generator

    static double largest(DataType t) {
        switch (t) {
            case DOUBLE:
                return Double.MAX_VALUE;
            case HALF:
                return 65504;
            case BFLOAT16:
                return 3.3895313892515355e38;
            default:
                return Float.MAX_VALUE;
        }
    }

    static double subnormal(DataType t, Random rnd) {
        double base = t == DataType.DOUBLE ? 1e-310 : t == DataType.HALF ? 1e-6 : 1e-40;
        return (rnd.nextBoolean() ? 1 : -1) * base * (1 + rnd.nextInt(50));
    }

    static Case generate(Random rnd) {
        Case x = new Case();
        DataType type = TYPES[rnd.nextInt(TYPES.length)];
        DataType computeType = type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        boolean largeK = rnd.nextInt(60) == 0;
        int k = largeK ? new int[]{1000, 4099, 32000}[rnd.nextInt(3)] : 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 3 : 40);
        int n = largeK ? 1 + rnd.nextInt(4) : rnd.nextInt(30) == 0 ? 0 : rnd.nextInt(71);
        boolean hostile = rnd.nextInt(4) == 0;          // inject invalid values
        StringBuilder d = new StringBuilder(type + " [" + n + "," + k + "]");

        // options
        XentOptions.Builder ob = XentOptions.builder();
        if (rnd.nextInt(3) == 0) {
            double[] w = new double[k];
            boolean wide = rnd.nextInt(4) == 0;
            for (int j = 0; j < k; j++) {
                w[j] = wide ? Math.pow(10, -3 + 6 * rnd.nextDouble()) : 0.25 + 2 * rnd.nextDouble();
            }
            ob.classWeights(w);
        }
        if (rnd.nextInt(3) == 0) {
            ob.labelSmoothing(rnd.nextInt(3) == 0 ? 0.5 : 0.3 * rnd.nextDouble());
        }
        if (rnd.nextInt(3) == 0) {
            ob.temperature(new double[]{0.25, 0.5, 2, 4, 0.3 + 4 * rnd.nextDouble()}[rnd.nextInt(5)]);
        }
        if (rnd.nextInt(3) == 0) {
            ob.zLoss(new double[]{1e-4, 0.01, 0.1 * rnd.nextDouble()}[rnd.nextInt(3)]);
        }
        int ignoreIndex = rnd.nextBoolean() ? -1 : new int[]{-100, 2, k + 3, 16777217}[rnd.nextInt(4)];
        ob.ignoreIndex(ignoreIndex);
        x.options = ob.build();
        d.append(' ').append(x.options);
        double t = x.options.temperature();

        // logits
        double scale = new double[]{0.1, 1, 3, 30}[rnd.nextInt(4)];
        double[][] z = new double[n][k];
        for (int i = 0; i < n; i++) {
            double offset = rnd.nextInt(5) == 0 ? (rnd.nextBoolean() ? 1e4 : -1e4) : 0;
            for (int j = 0; j < k; j++) {
                z[i][j] = offset + rnd.nextGaussian() * scale;
                int special = rnd.nextInt(200);
                if (special == 0) {
                    z[i][j] = Double.NEGATIVE_INFINITY;
                } else if (special == 1) {
                    z[i][j] = -0.0;
                } else if (special == 2) {
                    z[i][j] = subnormal(type, rnd);
                } else if (special == 3) {
                    z[i][j] += rnd.nextBoolean() ? 1e4 : -1e4;
                } else if (special == 4 && rnd.nextInt(4) == 0) {
                    // near the largest value; for float64 stay where z / t is a double
                    double big = type == DataType.DOUBLE ? 1e300 : 0.9 * largest(type);
                    z[i][j] = rnd.nextBoolean() ? big : -big;
                }
            }
        }
        if (hostile && n > 0) {
            int i = rnd.nextInt(n);
            int kind = rnd.nextInt(3);
            if (kind == 0) {
                z[i][rnd.nextInt(k)] = Double.NaN;
            } else if (kind == 1) {
                z[i][rnd.nextInt(k)] = Double.POSITIVE_INFINITY;
            } else {
                Arrays.fill(z[i], Double.NEGATIVE_INFINITY);
            }
        }
        x.logits = layout(matrix(z, k, type), rnd, d, "logits");
        x.z = n == 0 ? new double[0][k] : TestArrays.values(x.logits);

        // labels
        boolean ids = k > 1 && rnd.nextInt(3) == 0;
        int[] classIds = new int[n];
        double[][] y = new double[n][k];
        boolean[] badId = new boolean[n];
        boolean[] ignored = new boolean[n];
        if (ids) {
            DataType idType = new DataType[]{DataType.INT32, DataType.INT64, DataType.FLOAT, DataType.DOUBLE}[rnd.nextInt(4)];
            double[] raw = new double[n];
            for (int i = 0; i < n; i++) {
                classIds[i] = rnd.nextInt(k);
                raw[i] = classIds[i];
                if (ignoreIndex >= 0 && ignoreIndex != 16777217 && rnd.nextInt(6) == 0) {
                    raw[i] = ignoreIndex;
                }
                if (hostile && rnd.nextInt(Math.max(1, n)) == 0) {
                    raw[i] = new double[]{k, -2, 16777216, 1.5}[rnd.nextInt(idType.isFPType() ? 4 : 3)];
                }
                ignored[i] = raw[i] == ignoreIndex;
                badId[i] = !ignored[i] && !(raw[i] >= 0 && raw[i] < k && raw[i] == Math.floor(raw[i]));
                if (!ignored[i] && !badId[i]) {
                    y[i][(int) raw[i]] = 1;
                }
            }
            INDArray a = n == 0 ? Nd4j.create(idType, 0) : Nd4j.createFromArray(raw).castTo(idType);
            x.labels = rnd.nextBoolean() ? a.reshape(n, 1) : a;
            d.append(" ids ").append(idType).append(Arrays.toString(x.labels.shape()));
        } else {
            double total = new double[]{0, 0.5, 1, 1, 1.7, 100}[rnd.nextInt(6)];
            int kind = rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                if (kind == 0) {
                    y[i] = TestArrays.softLabels(rnd, 1, k, total)[0];
                } else if (kind == 1) {
                    y[i][rnd.nextInt(k)] = total;
                } else {
                    for (int j = 0; j < k; j++) {
                        y[i][j] = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble() * total;
                    }
                }
                if (rnd.nextInt(150) == 0) {
                    y[i][rnd.nextInt(k)] = Math.abs(subnormal(type, rnd));
                }
                if (rnd.nextInt(300) == 0) {
                    // near the largest value; for float64 stay where the weighted sums are doubles
                    y[i][rnd.nextInt(k)] = type == DataType.DOUBLE ? 1e300 : 0.5 * largest(type);
                }
            }
            if (hostile && n > 0) {
                y[rnd.nextInt(n)][rnd.nextInt(k)] = new double[]{Double.NaN, Double.POSITIVE_INFINITY, -0.5}[rnd.nextInt(3)];
            }
            DataType labelType = rnd.nextInt(6) == 0 ? (type == DataType.DOUBLE ? DataType.FLOAT : DataType.DOUBLE) : type;
            x.labels = layout(matrix(y, k, labelType), rnd, d, "labels");
            // what the kernel sees: the labels in its compute type
            INDArray seen = labelType == DataType.DOUBLE && computeType != DataType.DOUBLE
                    ? x.labels.castTo(computeType) : x.labels;
            y = n == 0 ? new double[0][k] : TestArrays.values(seen);
            d.append(" soft ").append(labelType);
        }
        x.y = y;

        // mask
        x.rowWeights = new double[n];
        Arrays.fill(x.rowWeights, 1);
        int maskKind = rnd.nextInt(4);                   // none, [N,1], [N], [N,K]
        if (maskKind == 3 && (ids || k == 1)) {
            maskKind = 1;                                // with K = 1 an [N, 1] mask is per-example
        }
        DataType maskType = rnd.nextInt(4) == 0 ? DataType.DOUBLE : type;
        if (maskKind == 1 || maskKind == 2) {
            boolean allOnes = rnd.nextInt(3) == 0;
            double[] m = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = allOnes ? 1 : new double[]{1, 1, 0, 0.5, -1, 2.5}[rnd.nextInt(6)];
            }
            if (hostile && n > 0 && rnd.nextInt(4) == 0) {
                m[rnd.nextInt(n)] = rnd.nextBoolean() ? Double.NaN : Double.POSITIVE_INFINITY;
                x.invalid.add("mask");
            }
            INDArray a = n == 0 ? Nd4j.create(maskType, 0) : Nd4j.createFromArray(m).castTo(maskType);
            x.mask = maskKind == 1 ? a.reshape(n, 1) : a;
            double[] seen = n == 0 ? new double[0] : TestArrays.vector(x.mask.reshape(n));
            System.arraycopy(seen, 0, x.rowWeights, 0, n);
            d.append(" mask ").append(Arrays.toString(x.mask.shape())).append(allOnes ? " ones" : "");
        } else if (maskKind == 3) {
            double[][] a = new double[n][k];
            for (int i = 0; i < n; i++) {
                boolean none = rnd.nextInt(10) == 0;
                for (int j = 0; j < k; j++) {
                    a[i][j] = none ? 0 : rnd.nextInt(4) == 0 ? 0 : 1;
                }
                x.rowWeights[i] = Arrays.stream(a[i]).max().orElse(0);
            }
            if (hostile && n > 0 && rnd.nextInt(4) == 0) {
                a[rnd.nextInt(n)][rnd.nextInt(k)] = 0.5;
                x.invalid.add("mask");
            }
            x.mask = layout(matrix(a, k, maskType), rnd, d, "mask");
            x.available = a;
            d.append(" per-output mask");
        }
        for (int i = 0; i < n; i++) {
            if (ids && ignored[i]) {
                x.rowWeights[i] = 0;
            }
        }

        // which arguments hold invalid values in the rows that count
        double largestCompute = largest(computeType);
        for (int i = 0; i < n; i++) {
            if (x.rowWeights[i] == 0 || !Double.isFinite(x.rowWeights[i])) {
                continue;
            }
            if (ids && badId[i]) {
                x.invalid.add("class-id labels");
                continue;
            }
            boolean anyFinite = false;
            double labelSum = 0;
            for (int j = 0; j < k; j++) {
                if (x.available != null && x.available[i][j] == 0) {
                    continue;
                }
                double v = x.z[i][j];
                if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                    x.invalid.add("logits");
                }
                anyFinite |= v != Double.NEGATIVE_INFINITY;
                double l = x.y[i][j];
                if (!(l >= 0) || l == Double.POSITIVE_INFINITY) {
                    x.invalid.add("labels");
                }
                labelSum += l;
            }
            if (!anyFinite && (x.available == null || x.rowWeights[i] != 0)) {
                x.invalid.add("logits");
            }
            if (labelSum > 0.99 * largestCompute) {
                x.mayReject.add("labels");
            }
        }
        if (x.available != null) {
            // per-output entries other than 0/1 are rejected wherever they are
            for (double[] row : x.available) {
                for (double v : row) {
                    if (v != 0 && v != 1) {
                        x.invalid.add("mask");
                    }
                }
            }
        }
        x.output = XentKernel.Output.values()[rnd.nextInt(XentKernel.Output.values().length)];
        x.description = d.append(' ').append(x.output).append(hostile ? " hostile" : "").toString();
        return x;
    }

    static INDArray matrix(double[][] a, int k, DataType type) {
        return a.length == 0 ? Nd4j.create(type, 0, k) : TestArrays.array(a, type);
    }

    /** The array as is (c-order), in f-order, as a view inside a larger array, or as a strided slice. */
    static INDArray layout(INDArray a, Random rnd, StringBuilder d, String name) {
        if (a.length() == 0) {
            return a;
        }
        long n = a.size(0);
        long k = a.size(1);
        switch (rnd.nextInt(5)) {
            case 0: {
                d.append(' ').append(name).append(" f-order");
                return a.dup('f');
            }
            case 1: {
                INDArray big = Nd4j.create(a.dataType(), n + 3, k + 2).assign(Double.NaN);
                INDArray view = big.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.interval(1, 1 + k));
                view.assign(a);
                d.append(' ').append(name).append(" view");
                return view;
            }
            case 2: {
                INDArray big = Nd4j.create(a.dataType(), n, 2 * k).assign(Double.NaN);
                INDArray strided = big.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 2 * k));
                strided.assign(a);
                d.append(' ').append(name).append(" strided");
                return strided;
            }
            default:
                return a;
        }
    }

    /** Lists the cases of a seed (for reading a failure). */
    static List<String> describe(long seed, int cases) {
        Random rnd = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int c = 0; c < cases; c++) {
            out.add(generate(new Random(rnd.nextLong())).description);
        }
        return out;
    }
}
