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

    /** The invalid values of {@link #putInvalid}, one kind each. */
    public static final String[] INVALID_KINDS = {"NaN logit", "NaN logit with the sign bit", "+inf logit", "row of -inf",
        "negative label", "NaN label", "+inf label"};

    /** Puts one invalid value of {@code kind} ({@link #INVALID_KINDS}) into row {@code row}, at class {@code at}. */
    public static void putInvalid(String kind, float[][] z, float[][] y, int row, int at) {
        switch (kind) {
            case "NaN logit":
                z[row][at] = Float.NaN;
                break;
            case "NaN logit with the sign bit":
                z[row][at] = Float.intBitsToFloat(0xffc00000);
                break;
            case "+inf logit":
                z[row][at] = Float.POSITIVE_INFINITY;
                break;
            case "row of -inf":
                java.util.Arrays.fill(z[row], Float.NEGATIVE_INFINITY);
                break;
            case "negative label":
                y[row][at] = -0.25f;
                break;
            case "NaN label":
                y[row][at] = Float.NaN;
                break;
            case "+inf label":
                y[row][at] = Float.POSITIVE_INFINITY;
                break;
            default:
                throw new IllegalArgumentException("kind must be one of INVALID_KINDS, got " + kind);
        }
    }

    /** {@code a} rounded to float32. */
    public static float[][] floats(double[][] a) {
        float[][] f = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            f[i] = new float[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                f[i][j] = (float) a[i][j];
            }
        }
        return f;
    }
}
