package io.github.xent4j;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded random inputs and conversions for the tests. */
public final class TestArrays {
    private TestArrays() {
    }

    public static double[][] normal(Random rnd, int n, int k, double scale) {
        double[][] a = new double[n][k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                a[i][j] = rnd.nextGaussian() * scale;
            }
        }
        return a;
    }

    /** Random probability rows (softmax of normals), each scaled by {@code total}. */
    public static double[][] softLabels(Random rnd, int n, int k, double total) {
        double[][] a = new double[n][k];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < k; j++) {
                a[i][j] = Math.exp(rnd.nextGaussian() * 1.5);
                s += a[i][j];
            }
            for (int j = 0; j < k; j++) {
                a[i][j] *= total / s;
            }
        }
        return a;
    }

    public static int[] classIds(Random rnd, int n, int k) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(k);
        }
        return ids;
    }

    public static double[][] oneHot(int[] ids, int k) {
        double[][] a = new double[ids.length][k];
        for (int i = 0; i < ids.length; i++) {
            a[i][ids[i]] = 1;
        }
        return a;
    }

    public static double[] positiveWeights(Random rnd, int k) {
        double[] w = new double[k];
        for (int j = 0; j < k; j++) {
            w[j] = 0.25 + 2 * rnd.nextDouble();
        }
        return w;
    }

    public static INDArray array(double[][] a, DataType type) {
        return Nd4j.createFromArray(a).castTo(type);
    }

    public static double[][] values(INDArray a) {
        return a.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    public static double[] vector(INDArray a) {
        return a.castTo(DataType.DOUBLE).toDoubleVector();
    }
}
