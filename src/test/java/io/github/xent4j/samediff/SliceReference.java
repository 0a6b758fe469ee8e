package io.github.xent4j.samediff;

/**
 * Float64 references, with plain loops and no ND4J, for what the SameDiff ops add to the kernel:
 * log-softmax and log-sum-exp along one dimension of an array of any rank (and their gradients),
 * and the gradient of the cross-entropy with respect to the labels.
 *
 * <p>Arrays are flat in c order with a shape.
 */
final class SliceReference {
    private SliceReference() {
    }

    /** Results along one dimension, and the per-element tolerance scales. */
    static final class Slices {
        /** log-softmax, the input's shape. */
        final double[] logSoftmax;
        /** log-sum-exp, the reduced shape (c order, dimension dropped). */
        final double[] logSumExp;
        /** Scale of each log-softmax value's tolerance: {@code |x - m| + log s + 1} (1: the rounding of s). */
        final double[] logSoftmaxScale;
        /** Scale of each log-sum-exp value's tolerance: {@code |m| + log s + 1}. */
        final double[] logSumExpScale;
        /** d(sum g * logSoftmax)/dx, the input's shape. */
        final double[] logSoftmaxGrad;
        /** d(sum gr * logSumExp)/dx, the input's shape. */
        final double[] logSumExpGrad;
        /** Scales of the gradients' tolerances: {@code |g_i| + p_i sum |g|} and {@code |gr|}. */
        final double[] logSoftmaxGradScale;
        final double[] logSumExpGradScale;

        Slices(int length, int reduced) {
            logSoftmax = new double[length];
            logSumExp = new double[reduced];
            logSoftmaxScale = new double[length];
            logSumExpScale = new double[reduced];
            logSoftmaxGrad = new double[length];
            logSumExpGrad = new double[length];
            logSoftmaxGradScale = new double[length];
            logSumExpGradScale = new double[length];
        }
    }

    /**
     * @param x     values, c order
     * @param shape shape of x
     * @param dim   dimension, already normalised (0..rank-1)
     * @param g     upstream gradient of the log-softmax (x's shape), or null for zeros
     * @param gr    upstream gradient of the log-sum-exp (reduced shape), or null for zeros
     */
    static Slices along(double[] x, long[] shape, int dim, double[] g, double[] gr) {
        int rank = shape.length;
        long[] strides = new long[rank];
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        int len = (int) s;
        int k = (int) shape[dim];
        int slices = len / k;
        Slices r = new Slices(len, slices);
        // slice index j (c order over the other dimensions) -> offset of its first element
        int j = 0;
        for (int flat = 0; flat < len; flat++) {
            if ((flat / strides[dim]) % shape[dim] != 0) {
                continue;                                  // not the first element of a slice
            }
            int[] idx = new int[k];
            for (int c = 0; c < k; c++) {
                idx[c] = (int) (flat + c * strides[dim]);
            }
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                m = Math.max(m, x[idx[c]]);
            }
            boolean empty = m == Double.NEGATIVE_INFINITY;
            double sum = 0;
            for (int c = 0; c < k; c++) {
                sum += empty ? 0 : Math.exp(x[idx[c]] - m);
            }
            double logSum = Math.log(sum);
            r.logSumExp[j] = empty ? Double.NEGATIVE_INFINITY : m + logSum;
            r.logSumExpScale[j] = empty ? 0 : Math.abs(m) + logSum + 1;
            double sumG = 0;
            double sumAbsG = 0;
            for (int c = 0; c < k; c++) {
                double gi = g == null ? 0 : g[idx[c]];
                sumG += gi;
                sumAbsG += Math.abs(gi);
            }
            double gj = gr == null ? 0 : gr[j];
            for (int c = 0; c < k; c++) {
                int i = idx[c];
                double p = empty ? 0 : Math.exp(x[i] - m - logSum);
                r.logSoftmax[i] = empty ? Double.NEGATIVE_INFINITY : (x[i] - m) - logSum;
                r.logSoftmaxScale[i] = empty ? 0 : Math.abs(x[i] - m) + logSum + 1;
                double gi = g == null ? 0 : g[i];
                r.logSoftmaxGrad[i] = empty ? 0 : gi - p * sumG;
                r.logSoftmaxGradScale[i] = Math.abs(gi) + p * sumAbsG;
                r.logSumExpGrad[i] = p * gj;
                r.logSumExpGradScale[i] = Math.abs(gj);
            }
            j++;
        }
        return r;
    }

    /**
     * {@code dloss/dy_k = -t^2 (1 - eps) w_k log p_k} for one row, 0 for unavailable classes;
     * {@code +inf} where {@code z_k = -inf}.
     *
     * @return the gradient and, in its last extra slot, the tolerance scale
     *         {@code t^2 (1 - eps) max_k w_k * (|max u| + log sum exp(u - max u) + max_k |u_k - max u| + 1)}
     */
    static double[] labelsGradientRow(double[] z, double[] available, double[] w, double eps, double t) {
        int k = z.length;
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            if (available == null || available[j] != 0) {
                m = Math.max(m, z[j] / t);
            }
        }
        double sum = 0;
        for (int j = 0; j < k; j++) {
            if (available == null || available[j] != 0) {
                sum += Math.exp(z[j] / t - m);
            }
        }
        double logSum = Math.log(sum);
        double[] out = new double[k + 1];
        double maxW = 0;
        double maxGap = 0;
        for (int j = 0; j < k; j++) {
            if (available != null && available[j] == 0) {
                continue;
            }
            double wj = w == null ? 1 : w[j];
            maxW = Math.max(maxW, wj);
            double logp = (z[j] / t - m) - logSum;
            out[j] = -t * t * (1 - eps) * wj * logp;
            if (Double.isFinite(z[j])) {
                maxGap = Math.max(maxGap, m - z[j] / t);
            }
        }
        out[k] = t * t * (1 - eps) * maxW * (Math.abs(m) + logSum + maxGap + 1);
        return out;
    }
}
