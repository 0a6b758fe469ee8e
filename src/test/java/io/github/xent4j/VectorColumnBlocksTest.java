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

/**
 * The fused kernel's float32 rows of few classes, which run one row per lane in blocks of as
 * many rows as a vector has lanes (from 256 bits; the rest of a batch row by row): against the
 * float64 reference at half the tolerance, against the row-by-row layout, with invalid values
 * inside a block, and split over threads.
 */
class VectorColumnBlocksTest {
    /** Row counts around whole blocks of 8 and 16 rows. */
    private static final int[] ROWS = {16, 17, 24, 32, 45};

    @Test
    void float32RowsOfFewClassesRunInBlocksFrom256Bits() {
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath lanes = VectorPaths.fixed(bits, 1, 0);
            int floatLanes = bits / 32;
            int maxK = bits == 128 ? 0 : Math.min(16, 3 * floatLanes / 2);
            for (int k = 1; k <= 40; k++) {
                assertEquals(k <= maxK ? floatLanes : 1, VectorPaths.rowGroup(lanes, false, k), bits + " bits, K " + k);
                assertEquals(1, VectorPaths.rowGroup(lanes, true, k), bits + " bits, float64, K " + k);
                assertEquals(1, VectorPaths.rowGroup(VectorPaths.rowByRow(bits), false, k), bits + " bits, row by row");
            }
        }
    }

    @Test
    void blocksAreWithinHalfTheTolerance() {
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath lanes = VectorPaths.fixed(bits, 1, 0);
            KernelPath rows = VectorPaths.rowByRow(bits);
            int inBlocks = 0;
            for (int seed = 0; seed < 200; seed++) {
                int n = ROWS[seed % ROWS.length];
                VectorPaths.INDArrayCase c = VectorKernelPathTest.randomCase(new Random(seed), "seed " + seed + ", "
                        + n + " rows", n);
                VectorPaths.checkHalfTolerance(lanes, c);
                VectorPaths.checkHalfTolerance(rows, c);
                boolean dbl = c.logits.dataType() == DataType.DOUBLE;
                inBlocks += VectorPaths.rowGroup(lanes, dbl, (int) c.logits.size(1)) > 1 && c.mask == null ? 1 : 0;
            }
            assertTrue(bits == 128 || inBlocks >= 20, bits + " bits: " + inBlocks + " cases without a mask in blocks");
        }
    }

    /** Each invalid value, in a row inside the first block, the second, and the rows after the last. */
    @Test
    void anInvalidValueInABlockGivesTheRowByRowError() {
        int n = 40;
        int k = 10;
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath lanes = VectorPaths.fixed(bits, 1, 0);
            KernelPath rows = VectorPaths.rowByRow(bits);
            for (int row : new int[]{3, 20, 37}) {
                for (String kind : TestArrays.INVALID_KINDS) {
                    Random rnd = new Random(row * 31 + kind.length());
                    float[][] z = TestArrays.floats(TestArrays.normal(rnd, n, k, 3));
                    float[][] y = TestArrays.floats(TestArrays.softLabels(rnd, n, k, 1));
                    int at = rnd.nextInt(k);
                    TestArrays.putInvalid(kind, z, y, row, at);
                    INDArray logits = org.nd4j.linalg.factory.Nd4j.createFromArray(z);
                    INDArray labels = org.nd4j.linalg.factory.Nd4j.createFromArray(y);
                    String where = bits + " bits, " + kind + " in row " + row;
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lanes.compute(
                            logits, labels, null, XentOptions.defaults(), XentKernel.Output.BOTH), where);
                    IllegalArgumentException expected = assertThrows(IllegalArgumentException.class, () -> rows.compute(
                            logits, labels, null, XentOptions.defaults(), XentKernel.Output.BOTH), where);
                    assertEquals(expected.getMessage(), e.getMessage(), where);
                    assertTrue(e.getMessage().contains("row " + row), where + ": " + e.getMessage());
                }
            }
        }
    }

    /** Values a block passes to the row-by-row code, which are valid: the same results as there. */
    @Test
    void validSpecialValuesInABlockGiveTheRowByRowResults() {
        int n = 40;
        int k = 10;
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath lanes = VectorPaths.fixed(bits, 1, 0);
            KernelPath rows = VectorPaths.rowByRow(bits);
            Random rnd = new Random(bits);
            float[][] z = TestArrays.floats(TestArrays.normal(rnd, n, k, 3));
            float[][] y = TestArrays.floats(TestArrays.softLabels(rnd, n, k, 1));
            y[2][4] = -0f;                                 // a sign bit, not a negative label
            y[5][1] = 0f;
            z[5][1] = Float.NEGATIVE_INFINITY;            // -inf under a zero label: 0 * -inf counts 0
            z[9][0] = Float.NaN;                           // in a masked row: never looked at
            y[9][3] = Float.POSITIVE_INFINITY;
            float[] mask = new float[n];
            Arrays.fill(mask, 1f);
            mask[9] = 0f;
            mask[11] = -1.5f;
            INDArray logits = org.nd4j.linalg.factory.Nd4j.createFromArray(z);
            INDArray labels = org.nd4j.linalg.factory.Nd4j.createFromArray(y);
            INDArray m = org.nd4j.linalg.factory.Nd4j.createFromArray(mask).reshape(n, 1);
            XentKernel.Result a = lanes.compute(logits, labels, m, XentOptions.defaults(), XentKernel.Output.BOTH);
            XentKernel.Result b = rows.compute(logits, labels, m, XentOptions.defaults(), XentKernel.Output.BOTH);
            // the blocks of rows 2 and 5 run row by row at every width: bit for bit the same there
            for (int row : new int[]{2, 5}) {
                assertEquals(b.loss().getDouble(row), a.loss().getDouble(row), 0.0, bits + " bits, loss of row " + row);
                assertArrayEquals(TestArrays.vector(b.gradient().getRow(row)), TestArrays.vector(a.gradient().getRow(row)),
                        0.0, bits + " bits, gradient of row " + row);
            }
            assertEquals(0.0, a.loss().getDouble(9), 0.0, bits + " bits, masked row's loss");
            assertArrayEquals(new double[k], TestArrays.vector(a.gradient().getRow(9)), 0.0, bits + " bits, masked row's gradient");
            for (int row = 0; row < n; row++) {
                double expected = b.loss().getDouble(row);
                assertEquals(expected, a.loss().getDouble(row), 1e-6 * Math.abs(expected), bits + " bits, loss of row " + row);
            }
            assertTrue(Double.isFinite(a.lossSum()), "finite loss sum");
        }
    }

    @Test
    void splittingABatchOverThreadsChangesNoBit() {
        Random rnd = new Random(11);
        for (KernelPath width : VectorPaths.widths()) {
            int bits = VectorPaths.bits(width);
            KernelPath one = VectorPaths.fixed(bits, 1, 0);
            for (int[] nk : new int[][]{{45, 10}, {100, 3}, {1003, 12}}) {
                INDArray z = TestArrays.array(TestArrays.normal(rnd, nk[0], nk[1], 3), DataType.FLOAT);
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, nk[0], nk[1], 1), DataType.FLOAT);
                XentKernel.Result a = one.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.BOTH);
                for (int threads : new int[]{2, 3}) {
                    XentKernel.Result b = VectorPaths.fixed(bits, threads, 0).compute(z, y, null, XentOptions.defaults(),
                            XentKernel.Output.BOTH);
                    String what = bits + " bits, " + nk[0] + "x" + nk[1] + ", " + threads + " threads";
                    assertArrayEquals(TestArrays.vector(a.loss()), TestArrays.vector(b.loss()), 0.0, what);
                    assertArrayEquals(TestArrays.vector(a.gradient().reshape(-1)),
                            TestArrays.vector(b.gradient().reshape(-1)), 0.0, what);
                }
            }
        }
    }

}
