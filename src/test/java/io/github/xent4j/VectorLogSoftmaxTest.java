package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused log-softmax and log-sum-exp along the last dimension, every width, against float64 sums. */
class VectorLogSoftmaxTest {

    @Test
    void lastDimensionAtEveryWidthWithinHalfTheTolerance() {
        Random rnd = new Random(2);
        long[][] shapes = {{7}, {3, 1}, {5, 17}, {2, 3, 33}, {4, 1000}, {2, 32000}};
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE, DataType.HALF}) {
            for (long[] shape : shapes) {
                int k = (int) shape[shape.length - 1];
                int n = (int) (java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b) / k);
                double[][] v = TestArrays.normal(rnd, n, k, type == DataType.HALF ? 2 : 20);
                if (k > 1) {
                    v[0][k - 1] = Double.NEGATIVE_INFINITY;           // a -inf entry in an ordinary slice
                }
                if (n > 1) {
                    java.util.Arrays.fill(v[n - 1], Double.NEGATIVE_INFINITY);   // an all -inf slice
                }
                INDArray x = TestArrays.array(v, type).reshape(shape);
                double[][] xv = TestArrays.values(x.reshape(n, k));
                Tolerance tol = Tolerance.of(type, k);
                for (KernelPath p : VectorPaths.widths()) {
                    INDArray lse = p.logSumExp(x, -1, false);
                    INDArray lseKept = p.logSumExp(x, shape.length - 1, true);
                    INDArray ls = p.logSoftmax(x, -1);
                    long[] reduced = java.util.Arrays.copyOf(shape, shape.length - 1);
                    long[] kept = shape.clone();
                    kept[shape.length - 1] = 1;
                    assertArrayEquals(reduced, lse.shape(), "logSumExp shape");
                    assertArrayEquals(kept, lseKept.shape(), "logSumExp keepDims shape");
                    assertArrayEquals(shape, ls.shape(), "logSoftmax shape");
                    assertEquals(type, ls.dataType());
                    double[] lseV = TestArrays.vector(lse.reshape(n));
                    double[][] lsV = TestArrays.values(ls.reshape(n, k));
                    for (int i = 0; i < n; i++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (double e : xv[i]) {
                            m = Math.max(m, e);
                        }
                        String at = p.name() + " " + type + " " + java.util.Arrays.toString(shape) + " slice " + i;
                        if (m == Double.NEGATIVE_INFINITY) {
                            assertEquals(Double.NEGATIVE_INFINITY, lseV[i], at);
                            for (int j = 0; j < k; j++) {
                                assertEquals(Double.NEGATIVE_INFINITY, lsV[i][j], at);
                            }
                            continue;
                        }
                        double sum = 0;
                        for (double e : xv[i]) {
                            sum += Math.exp(e - m);
                        }
                        double logSum = Math.log(sum);
                        double scale = Math.abs(m) + logSum;
                        VectorPaths.close(tol, at + " logSumExp", lseV[i], m + logSum, scale);
                        assertEquals(lseV[i], lseKept.reshape(n).getDouble(i), 0.0, at + " keepDims");
                        for (int j = 0; j < k; j++) {
                            VectorPaths.close(tol, at + " logSoftmax " + j, lsV[i][j], (xv[i][j] - m) - logSum, scale);
                        }
                    }
                }
            }
        }
    }

    @Test
    void otherDimensionsAndNonFiniteSlicesGiveTheNd4jPathsResults() {
        INDArray x = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {Float.POSITIVE_INFINITY, 0, 1}, {Float.NaN, 0, 0}});
        for (KernelPath p : VectorPaths.widths()) {
            for (int dim : new int[]{0, 1}) {
                // NaN compares equal to NaN here
                assertArrayEquals(TestArrays.vector(Nd4jKernelPath.INSTANCE.logSoftmax(x, dim).reshape(-1)),
                        TestArrays.vector(p.logSoftmax(x, dim).reshape(-1)), 0.0, p.name() + " dim " + dim);
                assertArrayEquals(TestArrays.vector(Nd4jKernelPath.INSTANCE.logSumExp(x, dim, false)),
                        TestArrays.vector(p.logSumExp(x, dim, false)), 0.0, p.name() + " dim " + dim);
            }
        }
        assertTrue(VectorPaths.widths().size() >= 1);
    }

    /** A NaN with the sign bit set, which the row maximum does not see, gives the ND4J path's result too. */
    @Test
    void nanWithTheSignBitSetGivesTheNd4jPathsResult() {
        float nan = Float.intBitsToFloat(0xffc00000);
        float ninf = Float.NEGATIVE_INFINITY;
        float[][] rows = new float[4][40];
        for (int j = 0; j < 40; j++) {
            rows[0][j] = j % 7;
            rows[1][j] = ninf;
            rows[2][j] = j % 3;
            rows[3][j] = ninf;
        }
        rows[0][0] = nan;
        rows[1][1] = nan;
        rows[2][37] = nan;
        rows[3][39] = nan;
        for (float[] row : rows) {
            INDArray x = Nd4j.createFromArray(new float[][]{row, row});
            for (KernelPath p : VectorPaths.widths()) {
                INDArray lse = p.logSumExp(x, 1, false);
                assertTrue(Float.isNaN(lse.getFloat(0)), p.name() + ": log-sum-exp " + lse);
                assertArrayEquals(TestArrays.vector(Nd4jKernelPath.INSTANCE.logSoftmax(x, 1).reshape(-1)),
                        TestArrays.vector(p.logSoftmax(x, 1).reshape(-1)), 0.0, p.name());
                assertArrayEquals(TestArrays.vector(Nd4jKernelPath.INSTANCE.logSumExp(x, 1, false)),
                        TestArrays.vector(lse), 0.0, p.name());
            }
        }
    }
}
