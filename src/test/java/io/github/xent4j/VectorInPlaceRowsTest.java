package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fused kernel's float32 rows of many classes, which are read and written in place (vector
 * loads and stores on ND4J's buffers: byte buffers on JDK 17 and 18, memory segments from JDK 22)
 * instead of staged copies: against the float64 reference at half the tolerance and bit for bit
 * against the staged rows, with invalid values, valid special values, views with an offset, and
 * split over threads. On JDK 19 to 21 both paths stage their rows, and the comparisons hold
 * trivially; the first test checks which JDKs read in place.
 */
class VectorInPlaceRowsTest {
    /** Around whole vectors of 4, 8 and 16 floats, from the smallest K read in place. */
    private static final int[] KS = {64, 65, 79, 100, 128, 255, 257, 1000, 1025};

    @Test
    void rowsOfAtLeast64ClassesAreReadInPlaceOnJdk17And18AndFrom22() {
        int feature = Runtime.version().feature();
        boolean inPlace = feature <= 18 || feature >= 22;
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            assertEquals(inPlace ? 64 : Integer.MAX_VALUE, VectorPaths.inPlaceMinClasses(VectorPaths.fixed(bits, 1, 0)),
                    bits + " bits, JDK " + feature);
            assertEquals(Integer.MAX_VALUE, VectorPaths.inPlaceMinClasses(VectorPaths.staged(bits, 1)), bits + " bits, staged");
        }
    }

    @Test
    void inPlaceRowsAreWithinHalfTheToleranceAndGiveTheStagedRowsBits() {
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath inPlace = VectorPaths.fixed(bits, 1, 0);
            KernelPath staged = VectorPaths.staged(bits, 1);
            for (int seed = 0; seed < 120; seed++) {
                Random rnd = new Random(seed);
                VectorPaths.INDArrayCase c = VectorKernelPathTest.randomCase(rnd, "seed " + seed, 1 + rnd.nextInt(12), KS);
                VectorPaths.checkHalfTolerance(inPlace, c);
                assertSameBits(staged, inPlace, c.logits, c.labels, c.mask, c.options, bits + " bits, " + c.name);
            }
        }
    }

    /** Each invalid value in the first, a middle and the last row: the staged rows' exception and message. */
    @Test
    void anInvalidValueGivesTheStagedRowsError() {
        int n = 7;
        int k = 100;
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath inPlace = VectorPaths.fixed(bits, 1, 0);
            KernelPath staged = VectorPaths.staged(bits, 1);
            for (int row : new int[]{0, 3, n - 1}) {
                for (String kind : TestArrays.INVALID_KINDS) {
                    Random rnd = new Random(row * 31 + kind.length());
                    float[][] z = TestArrays.floats(TestArrays.normal(rnd, n, k, 3));
                    float[][] y = TestArrays.floats(TestArrays.softLabels(rnd, n, k, 1));
                    // the last, partial vector of a row too (k = 100: 4 floats past the last whole vector of 16)
                    int at = rnd.nextBoolean() ? rnd.nextInt(k) : k - 1 - rnd.nextInt(4);
                    TestArrays.putInvalid(kind, z, y, row, at);
                    INDArray logits = Nd4j.createFromArray(z);
                    INDArray labels = Nd4j.createFromArray(y);
                    for (XentOptions o : new XentOptions[]{XentOptions.defaults(),
                        XentOptions.builder().labelSmoothing(0.1).build()}) {
                        String where = bits + " bits, " + kind + " at [" + row + "," + at + "], " + o;
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                () -> inPlace.compute(logits, labels, null, o, XentKernel.Output.BOTH), where);
                        IllegalArgumentException expected = assertThrows(IllegalArgumentException.class,
                                () -> staged.compute(logits, labels, null, o, XentKernel.Output.BOTH), where);
                        assertEquals(expected.getMessage(), e.getMessage(), where);
                        assertTrue(e.getMessage().contains("row " + row), where + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    /**
     * Valid values that a row read in place hands to the staged code (a {@code -0.0} label, a
     * {@code -inf} logit under a zero label or in the row's last vector, a masked row of NaN, a
     * negative mask value), and views with an offset: the staged rows' bits.
     */
    @Test
    void specialValuesAndViewsGiveTheStagedRowsBits() {
        int n = 12;
        int k = 1000;
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath inPlace = VectorPaths.fixed(bits, 1, 0);
            KernelPath staged = VectorPaths.staged(bits, 1);
            Random rnd = new Random(bits);
            float[][] z = TestArrays.floats(TestArrays.normal(rnd, n + 3, k, 3));
            float[][] y = TestArrays.floats(TestArrays.softLabels(rnd, n + 3, k, 1));
            y[2][4] = -0f;
            y[3][1] = 0f;
            z[3][1] = Float.NEGATIVE_INFINITY;
            y[4][k - 2] = 0f;
            z[4][k - 2] = Float.NEGATIVE_INFINITY;
            z[6][0] = Float.NaN;
            y[6][k - 1] = Float.POSITIVE_INFINITY;
            z[8][k - 1] = 200f;                            // the maximum in the last vector, the row far from narrow
            INDArray logits = Nd4j.createFromArray(z);
            INDArray labels = Nd4j.createFromArray(y);
            float[] mask = new float[n + 3];
            Arrays.fill(mask, 1f);
            mask[6] = 0f;
            mask[7] = -1.5f;
            INDArray m = Nd4j.createFromArray(mask).reshape(n + 3, 1);
            for (XentOptions o : new XentOptions[]{XentOptions.defaults(), XentOptions.builder().labelSmoothing(0.2)
                    .temperature(2).zLoss(1e-3).classWeights(TestArrays.positiveWeights(rnd, k)).build()}) {
                String what = bits + " bits, " + o;
                assertSameBits(staged, inPlace, logits, labels, m, o, what);
                // rows 2 to 13 as views with an offset into the arrays above
                INDArray zv = logits.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.all());
                INDArray yv = labels.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.all());
                INDArray mv = m.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.all());
                assertTrue(zv.offset() > 0 && yv.offset() > 0, "views with an offset");
                assertSameBits(staged, inPlace, zv, yv, mv, o, what + ", views");
                XentKernel.Result whole = inPlace.compute(logits, labels, m, o, XentKernel.Output.BOTH);
                XentKernel.Result view = inPlace.compute(zv, yv, mv, o, XentKernel.Output.BOTH);
                assertArrayEquals(TestArrays.vector(whole.gradient().get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.all())
                        .reshape(-1)), TestArrays.vector(view.gradient().reshape(-1)), 0.0, what + ": view and whole");
                // into a caller's gradient array: a view with an offset
                INDArray into = Nd4j.zeros(DataType.FLOAT, n + 1, k);
                INDArray target = into.get(NDArrayIndex.interval(1, n + 1), NDArrayIndex.all());
                XentKernel.Result r = inPlace.compute(zv, yv, mv, o, XentKernel.Output.GRADIENT_AND_LOSS_SUM, target);
                assertArrayEquals(TestArrays.vector(view.gradient().reshape(-1)), TestArrays.vector(target.reshape(-1)),
                        0.0, what + ": into a view");
                assertArrayEquals(new double[k], TestArrays.vector(into.getRow(0)), 0.0, what + ": the row before the view");
                assertEquals(view.lossSum(), r.lossSum(), 0.0, what + ": loss sum into a view");
            }
            assertEquals(0.0, inPlace.compute(logits, labels, m, XentOptions.defaults(), XentKernel.Output.BOTH).loss()
                    .getDouble(6), 0.0, bits + " bits, masked row");
        }
    }

    /** A row a little longer than the last one on the same thread, within the same whole vectors. */
    @Test
    void aLongerRowAfterAShorterOneOnTheSameThread() {
        XentOptions smoothing = XentOptions.builder().labelSmoothing(0.1).build();
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            // one path: each path's row code is a class of its own, with its own per-thread scratch
            KernelPath inPlace = VectorPaths.fixed(bits, 1, 0);
            KernelPath staged = VectorPaths.staged(bits, 1);
            for (int k : new int[]{1000, 1001, 1007}) {
                Random rnd = new Random(k);
                INDArray z = TestArrays.array(TestArrays.normal(rnd, 3, k, 3), DataType.FLOAT);
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 3, k, 1), DataType.FLOAT);
                assertSameBits(staged, inPlace, z, y, null, smoothing, bits + " bits, K " + k);
            }
        }
    }

    @Test
    void splittingABatchOverThreadsChangesNoBit() {
        Random rnd = new Random(12);
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            INDArray z = TestArrays.array(TestArrays.normal(rnd, 301, 100, 3), DataType.FLOAT);
            INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 301, 100, 1), DataType.FLOAT);
            XentKernel.Result a = VectorPaths.fixed(bits, 1, 0).compute(z, y, null, XentOptions.defaults(),
                    XentKernel.Output.BOTH);
            for (int threads : new int[]{2, 3}) {
                String what = bits + " bits, " + threads + " threads";
                assertSameBits(VectorPaths.fixed(bits, 1, 0), VectorPaths.fixed(bits, threads, 0), z, y, null,
                        XentOptions.defaults(), what);
                assertSameBits(VectorPaths.staged(bits, threads), VectorPaths.fixed(bits, threads, 0), z, y, null,
                        XentOptions.defaults(), what + ", staged");
            }
            assertTrue(Double.isFinite(a.lossSum()), "finite loss sum");
        }
    }

    /** Every output of {@code actual} equals that of {@code expected}, bit for bit. */
    private static void assertSameBits(KernelPath expected, KernelPath actual, INDArray logits, INDArray labels,
                                       INDArray mask, XentOptions o, String what) {
        XentKernel.Result e = expected.compute(logits, labels, mask, o, XentKernel.Output.BOTH);
        XentKernel.Result a = actual.compute(logits, labels, mask, o, XentKernel.Output.BOTH);
        assertArrayEquals(TestArrays.vector(e.loss()), TestArrays.vector(a.loss()), 0.0, what + ": losses");
        assertArrayEquals(TestArrays.vector(e.gradient().reshape(-1)), TestArrays.vector(a.gradient().reshape(-1)), 0.0,
                what + ": gradient");
        assertEquals(e.lossSum(), a.lossSum(), 0.0, what + ": loss sum");
    }

}
