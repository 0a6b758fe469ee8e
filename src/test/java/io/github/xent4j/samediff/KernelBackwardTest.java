package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.Tolerance;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The kernel functions added for the SameDiff ops ({@link XentKernel#labelsGradient},
 * {@link XentKernel#logSoftmaxBackward}, {@link XentKernel#logSumExpBackward}, and the forward
 * {@code logSoftmax}/{@code logSumExp} along any dimension) against float64 loop references.
 */
class KernelBackwardTest {
    static final double NI = Double.NEGATIVE_INFINITY;
    static final DataType[] TYPES = {DataType.DOUBLE, DataType.FLOAT, DataType.HALF, DataType.BFLOAT16};

    static XentOptions[] options(int k, Random rnd) {
        return new XentOptions[]{
                XentOptions.defaults(),
                XentOptions.builder().classWeights(TestArrays.positiveWeights(rnd, k)).build(),
                XentOptions.builder().labelSmoothing(0.2).build(),
                XentOptions.builder().temperature(3).build(),
                XentOptions.builder().zLoss(0.01).build(),
                XentOptions.builder().classWeights(TestArrays.positiveWeights(rnd, k)).labelSmoothing(0.1)
                        .temperature(0.5).zLoss(1e-3).build()};
    }

    // ------------------------------------------------------------------------------------------
    // labelsGradient

    @Test
    void labelsGradientMatchesReference() {
        Random rnd = new Random(11);
        int n = 6;
        int k = 7;
        double[][] z = TestArrays.normal(rnd, n, k, 3);
        z[1][2] = NI;                                  // -inf with label 0
        z[2] = new double[]{0, 1e4, 0, -1e4, 5, 0, 1}; // gap of 1e4
        z[3][0] = 1e4;                                 // offset rows
        z[3][1] = 1e4 - 1.5;
        double[][] y = TestArrays.softLabels(rnd, n, k, 1.3);
        y[1][2] = 0;
        for (DataType type : TYPES) {
            for (XentOptions o : options(k, rnd)) {
                INDArray zi = TestArrays.array(z, type);
                if (type == DataType.HALF) {
                    zi = TestArrays.array(scaled(z, 1e-2), type);       // |z| must fit in half
                }
                INDArray yi = TestArrays.array(y, type);
                checkLabelsGradient(zi, yi, null, o, null, null);
            }
        }
    }

    @Test
    void labelsGradientWithMasks() {
        Random rnd = new Random(12);
        int n = 5;
        int k = 4;
        double[][] z = TestArrays.normal(rnd, n, k, 2);
        double[][] y = TestArrays.softLabels(rnd, n, k, 1);
        z[2][1] = Double.NaN;                          // garbage in a masked row
        y[2][0] = -7;
        double[] rows = {1, 0.5, 0, 2, 1};
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).temperature(2).build();
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            checkLabelsGradient(TestArrays.array(z, type), TestArrays.array(y, type),
                    Nd4j.createFromArray(rows).castTo(type).reshape(n, 1), o, rows, null);
            double[][] avail = {{1, 1, 0, 1}, {0, 1, 1, 1}, {0, 0, 0, 0}, {1, 1, 1, 1}, {1, 0, 0, 1}};
            double[][] zz = TestArrays.normal(rnd, n, k, 2);
            zz[0][2] = Double.NaN;                     // unavailable: never looked at
            checkLabelsGradient(TestArrays.array(zz, type), TestArrays.array(y, type),
                    TestArrays.array(avail, type), o, new double[]{1, 1, 0, 1, 1}, avail);
        }
    }

    @Test
    void labelsGradientIsPlusInfinityOnMinusInfinityLogitsAndZerosForClassIds() {
        INDArray z = Nd4j.createFromArray(new double[][]{{1, NI, 2}, {0, 0, 0}});
        INDArray y = Nd4j.createFromArray(new double[][]{{0.5, 0.5, 0}, {1, 0, 0}});
        INDArray g = XentKernel.labelsGradient(z, y, null, XentOptions.defaults());
        assertEquals(Double.POSITIVE_INFINITY, g.getDouble(0, 1), 0.0);
        assertTrue(Double.isFinite(g.getDouble(0, 0)) && g.getDouble(0, 0) > 0);
        assertEquals(Math.log(3), g.getDouble(1, 0), 1e-15);
        INDArray ids = Nd4j.createFromArray(2, 0);
        INDArray zeros = XentKernel.labelsGradient(z, ids, null, XentOptions.defaults());
        assertEquals(DataType.INT32, zeros.dataType());
        assertArrayEquals(new long[]{2}, zeros.shape());
        assertEquals(0, zeros.sumNumber().intValue());
        assertThrows(IllegalArgumentException.class,
                () -> XentKernel.labelsGradient(z, Nd4j.createFromArray(3, 0), null, XentOptions.defaults()));
    }

    private static void checkLabelsGradient(INDArray z, INDArray y, INDArray mask, XentOptions o, double[] rows,
                                            double[][] avail) {
        int n = (int) z.size(0);
        int k = (int) z.size(1);
        INDArray g = XentKernel.labelsGradient(z, y, mask, o);
        assertEquals(z.dataType(), g.dataType());
        assertArrayEquals(z.shape(), g.shape());
        double[][] zv = TestArrays.values(z);
        double[][] gv = TestArrays.values(g);
        Tolerance tol = Tolerance.of(z.dataType(), k);
        for (int i = 0; i < n; i++) {
            double rw = rows == null ? 1 : rows[i];
            if (rw == 0) {
                for (int j = 0; j < k; j++) {
                    assertEquals(0.0, gv[i][j], 0.0, "masked row " + i);
                }
                continue;
            }
            double[] ref = SliceReference.labelsGradientRow(zv[i], avail == null ? null : avail[i], o.classWeights(),
                    o.labelSmoothing(), o.temperature());
            for (int j = 0; j < k; j++) {
                if (avail != null && avail[i][j] == 0) {
                    assertEquals(0.0, gv[i][j], 0.0, "unavailable class [" + i + "," + j + "]");
                    continue;
                }
                tol.check(z.dataType() + " " + o + " dy[" + i + "," + j + "]", gv[i][j], rw * ref[j], Math.abs(rw) * ref[k]);
            }
        }
    }

    private static double[][] scaled(double[][] a, double f) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i].clone();
            for (int j = 0; j < r[i].length; j++) {
                r[i][j] *= f;
            }
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------
    // logSoftmax / logSumExp along any dimension, forward and backward

    /** Rank-3 input [3, 4, 5] with gaps of 1e4, slices of very different scales, -inf entries and all -inf slices. */
    static double[] hardInput(Random rnd, double big) {
        double[] x = new double[3 * 4 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextGaussian() * 2;
        }
        for (int i = 0; i < 20; i++) {
            x[i] += big;                 // block 0 around +big
            x[40 + i] -= big;            // block 2 around -big
        }
        x[3] = big + big;                // a gap of `big` inside a slice
        x[7] = NI;                       // -inf entries
        x[26] = NI;
        for (int c = 0; c < 5; c++) {
            x[25 + c] = NI;              // [1, 1, :] entirely -inf
        }
        for (int b = 0; b < 3; b++) {
            x[b * 20 + 4 * 5 - 1] = NI;  // [b, 3, 4]
        }
        x[20 + 15] = NI;                 // [1, 3, 0]..: with [1,1,*] make dim-1 slices [1, *, 0]? keep one more
        x[20] = NI;
        x[20 + 5] = NI;
        x[20 + 10] = NI;                 // [1, :, 0] entirely -inf
        return x;
    }

    @Test
    void logSoftmaxAndLogSumExpAlongEveryDimensionOfRank3() {
        Random rnd = new Random(5);
        long[] shape = {3, 4, 5};
        for (DataType type : TYPES) {
            double big = type == DataType.HALF ? 30 : type == DataType.BFLOAT16 ? 1e3 : 1e4;
            double[] x0 = hardInput(rnd, big);
            INDArray x = Nd4j.createFromArray(x0).reshape(shape).castTo(type);
            double[] xv = x.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();    // as rounded to the type
            for (int dim = -3; dim < 3; dim++) {
                int d = dim < 0 ? dim + 3 : dim;
                double[] g = new double[60];
                for (int i = 0; i < 60; i++) {
                    g[i] = rnd.nextGaussian();
                }
                long[] reduced = dropped(shape, d);
                double[] gr = new double[60 / (int) shape[d]];
                for (int i = 0; i < gr.length; i++) {
                    gr[i] = rnd.nextGaussian();
                }
                INDArray gi = Nd4j.createFromArray(g).reshape(shape).castTo(type);
                INDArray gri = Nd4j.createFromArray(gr).reshape(reduced).castTo(type);
                double[] gv = gi.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
                double[] grv = gri.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
                SliceReference.Slices ref = SliceReference.along(xv, shape, d, gv, grv);
                Tolerance tol = Tolerance.of(type, (int) shape[d]);
                String what = type + " dim " + dim;

                checkAll(what + " logSoftmax", XentKernel.logSoftmax(x, dim), shape, type, ref.logSoftmax,
                        ref.logSoftmaxScale, tol);
                INDArray lse = XentKernel.logSumExp(x, dim, false);
                checkAll(what + " logSumExp", lse, reduced, type, ref.logSumExp, ref.logSumExpScale, tol);
                INDArray lseKeep = XentKernel.logSumExp(x, dim, true);
                checkAll(what + " logSumExp keepDims", lseKeep, kept(shape, d), type, ref.logSumExp, ref.logSumExpScale, tol);

                checkAll(what + " logSoftmaxBackward", XentKernel.logSoftmaxBackward(x, dim, gi), shape, type,
                        ref.logSoftmaxGrad, ref.logSoftmaxGradScale, tol);
                checkAll(what + " logSumExpBackward", XentKernel.logSumExpBackward(x, dim, gri), shape, type,
                        ref.logSumExpGrad, ref.logSumExpGradScale, tol);
                checkAll(what + " logSumExpBackward keepDims", XentKernel.logSumExpBackward(x, dim, gri.reshape(kept(shape, d))),
                        shape, type, ref.logSumExpGrad, ref.logSumExpGradScale, tol);
            }
        }
    }

    @Test
    void rank1AndBackwardArgumentChecks() {
        INDArray x = Nd4j.createFromArray(1.0, 2.0, 1e4);
        INDArray lse = XentKernel.logSumExp(x, 0, false);
        assertEquals(0, lse.rank());
        assertEquals(1e4, lse.getDouble(0), 1e-9);
        INDArray g = XentKernel.logSumExpBackward(x, -1, Nd4j.scalar(2.0));
        assertEquals(2.0, g.getDouble(2), 1e-12);
        assertEquals(0.0, g.getDouble(0), 1e-300);
        INDArray allNegInf = Nd4j.createFromArray(NI, NI);
        assertEquals(NI, XentKernel.logSumExp(allNegInf, 0, false).getDouble(0), 0.0);
        assertEquals(0.0, XentKernel.logSumExpBackward(allNegInf, 0, Nd4j.scalar(1.0)).sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, XentKernel.logSoftmaxBackward(allNegInf, 0, Nd4j.createFromArray(1.0, 2.0))
                .sumNumber().doubleValue(), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XentKernel.logSoftmaxBackward(x, 0, Nd4j.createFromArray(1.0, 2.0)));
        assertTrue(e.getMessage().contains("upstream") && e.getMessage().contains("[3]") && e.getMessage().contains("[2]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> XentKernel.logSumExpBackward(Nd4j.rand(2, 3), 1, Nd4j.rand(3)));
        assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[2, 1]") && e.getMessage().contains("[3]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> XentKernel.logSoftmaxBackward(x, 1, x));
        assertTrue(e.getMessage().contains("dimension"), e.getMessage());
    }

    static void checkAll(String what, INDArray actual, long[] shape, DataType type, double[] expected, double[] scale,
                         Tolerance tol) {
        assertEquals(type, actual.dataType(), what + " data type");
        assertArrayEquals(shape, actual.shape(), what + " shape");
        double[] v = actual.castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
        for (int i = 0; i < v.length; i++) {
            tol.check(what + " [" + i + "]", v[i], expected[i], scale[i]);
        }
    }

    static long[] dropped(long[] shape, int d) {
        long[] r = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                r[j++] = shape[i];
            }
        }
        return r;
    }

    static long[] kept(long[] shape, int d) {
        long[] r = shape.clone();
        r[d] = 1;
        return r;
    }
}
