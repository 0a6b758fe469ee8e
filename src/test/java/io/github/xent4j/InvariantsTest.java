package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Properties that must hold for any input, checked over seeded random trials in float64. */
@ParameterizedClass(name = "{0}")
@MethodSource("io.github.xent4j.KernelVariants#paths")
class InvariantsTest {
    /** The path under test; the whole class runs once per {@link KernelVariants} entry. */
    @Parameter
    KernelPath path;

    static final int TRIALS = 20;

    static XentOptions randomOptions(Random rnd, int k) {
        XentOptions.Builder b = XentOptions.builder();
        if (rnd.nextBoolean()) {
            b.classWeights(TestArrays.positiveWeights(rnd, k));
        }
        if (rnd.nextBoolean()) {
            b.labelSmoothing(0.3 * rnd.nextDouble());
        }
        if (rnd.nextBoolean()) {
            b.temperature(0.3 + 4 * rnd.nextDouble());
        }
        if (rnd.nextBoolean()) {
            b.zLoss(0.01 * rnd.nextDouble());
        }
        return b.build();
    }

    XentKernel.Result both(INDArray z, INDArray y, INDArray mask, XentOptions o) {
        return path.compute(z, y, mask, o, XentKernel.Output.BOTH);
    }

    static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
        double[] e = expected.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
        double[] a = actual.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * (1 + Math.abs(e[i])), what + " at " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void addingAConstantToARowChangesNothing(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < TRIALS; trial++) {
            int n = 1 + rnd.nextInt(6);
            int k = 2 + rnd.nextInt(8);
            XentOptions o = randomOptions(rnd, k);
            double[][] z = TestArrays.normal(rnd, n, k, 3);
            double[][] shifted = new double[n][k];
            for (int i = 0; i < n; i++) {
                double c = rnd.nextGaussian() * 100;
                for (int j = 0; j < k; j++) {
                    shifted[i][j] = z[i][j] + c;
                }
            }
            INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, k, 0.5 + rnd.nextDouble()), DataType.DOUBLE);
            XentOptions noZLoss = o.toBuilder().zLoss(0).build();   // z-loss depends on the offset on purpose
            XentKernel.Result a = both(TestArrays.array(z, DataType.DOUBLE), y, null, noZLoss);
            XentKernel.Result b = both(TestArrays.array(shifted, DataType.DOUBLE), y, null, noZLoss);
            assertClose(a.loss(), b.loss(), 1e-9, "loss");
            assertClose(a.gradient(), b.gradient(), 1e-9, "gradient");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5})
    void classIdsEqualOneHot(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < TRIALS; trial++) {
            int n = 1 + rnd.nextInt(6);
            int k = 2 + rnd.nextInt(8);
            XentOptions o = randomOptions(rnd, k);
            int[] ids = TestArrays.classIds(rnd, n, k);
            INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 3), DataType.DOUBLE);
            XentKernel.Result a = both(z, Nd4j.createFromArray(ids).reshape(n, 1), null, o);
            XentKernel.Result b = both(z, TestArrays.array(TestArrays.oneHot(ids, k), DataType.DOUBLE), null, o);
            assertClose(b.loss(), a.loss(), 1e-14, "loss");
            assertClose(b.gradient(), a.gradient(), 1e-14, "gradient");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {6, 7})
    void maskZeroEqualsDroppingTheRow(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < TRIALS; trial++) {
            int n = 2 + rnd.nextInt(6);
            int k = 2 + rnd.nextInt(8);
            XentOptions o = randomOptions(rnd, k);
            double[][] z = TestArrays.normal(rnd, n, k, 3);
            double[][] y = TestArrays.softLabels(rnd, n, k, 1);
            int drop = rnd.nextInt(n);
            z[drop][0] = Double.NaN;          // garbage in the dropped row must not matter
            y[drop][1] = -7;
            double[] mask = new double[n];
            java.util.Arrays.fill(mask, 1);
            mask[drop] = 0;
            XentKernel.Result masked = both(TestArrays.array(z, DataType.DOUBLE), TestArrays.array(y, DataType.DOUBLE),
                    Nd4j.createFromArray(mask).reshape(n, 1), o);
            double[][] zKeep = new double[n - 1][];
            double[][] yKeep = new double[n - 1][];
            for (int i = 0, j = 0; i < n; i++) {
                if (i != drop) {
                    zKeep[j] = z[i];
                    yKeep[j++] = y[i];
                }
            }
            XentKernel.Result kept = both(TestArrays.array(zKeep, DataType.DOUBLE), TestArrays.array(yKeep, DataType.DOUBLE),
                    null, o);
            assertEquals(kept.loss().sumNumber().doubleValue(), masked.loss().sumNumber().doubleValue(), 1e-12);
            assertEquals(0.0, masked.gradient().getRow(drop).norm1Number().doubleValue(), 0.0);
            INDArray rest = Nd4j.vstack(drop == 0 ? new INDArray[]{masked.gradient().get(NDArrayIndex.interval(1, n))}
                    : drop == n - 1 ? new INDArray[]{masked.gradient().get(NDArrayIndex.interval(0, n - 1))}
                    : new INDArray[]{masked.gradient().get(NDArrayIndex.interval(0, drop)),
                    masked.gradient().get(NDArrayIndex.interval(drop + 1, n))});
            assertClose(kept.gradient(), rest, 1e-14, "gradient");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 9})
    void permutingClassesPermutesTheGradient(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < TRIALS; trial++) {
            int n = 1 + rnd.nextInt(6);
            int k = 2 + rnd.nextInt(8);
            double[] w = TestArrays.positiveWeights(rnd, k);
            XentOptions o = randomOptions(rnd, k).toBuilder().classWeights(w).build();
            int[] perm = randomPermutation(rnd, k);
            double[][] z = TestArrays.normal(rnd, n, k, 3);
            double[][] y = TestArrays.softLabels(rnd, n, k, 1.2);
            double[] wp = new double[k];
            double[][] zp = new double[n][k];
            double[][] yp = new double[n][k];
            for (int j = 0; j < k; j++) {
                wp[j] = w[perm[j]];
                for (int i = 0; i < n; i++) {
                    zp[i][j] = z[i][perm[j]];
                    yp[i][j] = y[i][perm[j]];
                }
            }
            XentKernel.Result a = both(TestArrays.array(z, DataType.DOUBLE), TestArrays.array(y, DataType.DOUBLE), null, o);
            XentKernel.Result b = both(TestArrays.array(zp, DataType.DOUBLE), TestArrays.array(yp, DataType.DOUBLE), null,
                    o.toBuilder().classWeights(wp).build());
            assertClose(a.loss(), b.loss(), 1e-12, "loss");
            double[][] ga = TestArrays.values(a.gradient());
            double[][] gb = TestArrays.values(b.gradient());
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    assertEquals(ga[i][perm[j]], gb[i][j], 1e-12, "gradient [" + i + "," + j + "]");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 11})
    void lossIsAtLeastTheEntropyOfTheLabels(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < TRIALS; trial++) {
            int n = 1 + rnd.nextInt(6);
            int k = 2 + rnd.nextInt(8);
            double total = 0.3 + 2 * rnd.nextDouble();
            double[][] y = TestArrays.softLabels(rnd, n, k, total);
            double[] loss = TestArrays.vector(both(TestArrays.array(TestArrays.normal(rnd, n, k, 3), DataType.DOUBLE),
                    TestArrays.array(y, DataType.DOUBLE), null, XentOptions.defaults()).loss());
            for (int i = 0; i < n; i++) {
                // loss = S * CE(y / S, p) >= S * H(y / S)
                double entropy = 0;
                for (int j = 0; j < k; j++) {
                    double q = y[i][j] / total;
                    entropy -= q > 0 ? q * Math.log(q) : 0;
                }
                assertTrue(loss[i] >= total * entropy - 1e-12, "row " + i + ": " + loss[i] + " < " + total * entropy);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12})
    void inputsAreNeverModified(int seed) {
        Random rnd = new Random(seed);
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE, DataType.HALF}) {
            INDArray z = TestArrays.array(TestArrays.normal(rnd, 5, 4, 3), type).dup('f');
            z.putScalar(3, 2, Double.NEGATIVE_INFINITY);
            INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 5, 4, 1), type);
            INDArray ids = Nd4j.createFromArray(0, 3, 1, 2, 7).reshape(5, 1);
            INDArray rowMask = Nd4j.createFromArray(1.0, 0.0, 1.0, 1.0, 0.5).reshape(5, 1).castTo(type);
            INDArray outMask = Nd4j.createFromArray(new double[][]{{1, 1, 0, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 1, 1, 1},
                    {1, 0, 1, 1}}).castTo(type);
            XentOptions o = XentOptions.builder().classWeights(new double[]{1, 2, 3, 4}).labelSmoothing(0.1)
                    .temperature(2).zLoss(0.01).ignoreIndex(7).build();
            INDArray[] inputs = {z, y, ids, rowMask, outMask};
            INDArray[] copies = new INDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                copies[i] = inputs[i].dup();
            }
            both(z, y, null, o);
            both(z, y, rowMask, o);
            both(z, y, outMask, o);
            both(z, ids, rowMask, o);
            for (int i = 0; i < inputs.length; i++) {
                assertArrayEquals(copies[i].castTo(DataType.DOUBLE).reshape(-1).toDoubleVector(),
                        inputs[i].castTo(DataType.DOUBLE).reshape(-1).toDoubleVector(), 0.0, "input " + i + " modified");
            }
        }
    }

    static int[] randomPermutation(Random rnd, int k) {
        int[] p = new int[k];
        for (int i = 0; i < k; i++) {
            p[i] = i;
        }
        for (int i = k - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
