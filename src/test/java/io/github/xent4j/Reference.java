package io.github.xent4j;

/**
 * Float64 reference of CONTRACT.md, written from its definitions with plain loops and no ND4J,
 * so that it shares nothing with the kernel but the formulas. Its sums over a row are compensated
 * (Neumaier): a plain float64 sum of K = 32000 smoothed labels is off by 1e-12 relative, as much
 * as the float64 tolerance allows a path.
 */
public final class Reference {

    /** One row's results and the contract's tolerance scales {@code T_n}. */
    public static final class Row {
        public final double loss;
        public final double[] grad;
        /** {@code t^2 S + lambda L^2}: scale of the loss tolerance. */
        public final double lossScale;
        /** {@code t max(S, max_k w y') + (2 lambda / t) L}: scale of the gradient tolerance. */
        public final double gradScale;

        Row(double loss, double[] grad, double lossScale, double gradScale) {
            this.loss = loss;
            this.grad = grad;
            this.lossScale = lossScale;
            this.gradScale = gradScale;
        }
    }

    private Reference() {
    }

    /** Neumaier's compensated sum; a non-finite term or sum makes it the plain sum. */
    static final class Sum {
        private double sum;
        private double compensation;

        void add(double x) {
            double t = sum + x;
            if (Double.isFinite(t)) {
                compensation += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
            }
            sum = t;
        }

        double value() {
            return Double.isFinite(sum) ? sum + compensation : sum;
        }
    }

    /**
     * @param z         logits of the row, may contain -inf
     * @param y         soft labels of the row
     * @param available per-output availability (0/1) or null
     * @param w         class weights or null
     */
    public static Row row(double[] z, double[] y, double[] available, double[] w, double eps, double t, double lambda) {
        int k = z.length;
        boolean[] on = new boolean[k];
        int kn = 0;
        for (int j = 0; j < k; j++) {
            on[j] = available == null || available[j] != 0;
            kn += on[j] ? 1 : 0;
        }
        if (kn == 0) {
            return new Row(0, new double[k], 0, 0);
        }
        double[] ys = new double[k];
        double zMax = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            ys[j] = on[j] ? (1 - eps) * y[j] + eps / kn : 0;
            zMax = on[j] ? Math.max(zMax, z[j]) : zMax;
        }
        // u - m with u = z / t and m = max u, as (z - max z) / t: dividing first would round u to
        // ~1e-16 of |z / t| and make p inaccurate by more than float64's tolerance when |z| ~ 1e4
        double m = zMax / t;
        double[] shifted = new double[k];
        for (int j = 0; j < k; j++) {
            shifted[j] = on[j] ? (z[j] - zMax) / t : Double.NEGATIVE_INFINITY;
        }
        // log sum exp(u - m) = log(c + r) with c the count of maxima and r the sum of the other
        // exponentials, as log1p(r + c - 1): log(sumExp) would lose r below 1e-16 relative
        Sum sumExpAcc = new Sum();
        Sum restAcc = new Sum();
        int maxima = 0;
        for (int j = 0; j < k; j++) {
            if (on[j] && z[j] == zMax) {
                maxima++;
            } else if (on[j]) {
                restAcc.add(Math.exp(shifted[j]));
            }
            sumExpAcc.add(on[j] ? Math.exp(shifted[j]) : 0);
        }
        double sumExp = sumExpAcc.value();
        double rest = restAcc.value();
        double logSum = Math.log1p(rest + (maxima - 1));
        double lse = m + logSum;
        Sum sAcc = new Sum();
        double maxWy = 0;
        for (int j = 0; j < k; j++) {
            double wj = w == null ? 1 : w[j];
            sAcc.add(wj * ys[j]);
            maxWy = Math.max(maxWy, wj * ys[j]);
        }
        double s = sAcc.value();
        Sum ceAcc = new Sum();
        for (int j = 0; j < k; j++) {
            double wy = (w == null ? 1 : w[j]) * ys[j];
            if (wy == 0) {
                continue;                                   // 0 * (-inf) = 0
            }
            ceAcc.add(-wy * (shifted[j] - logSum));         // +inf when u_j = -inf
        }
        double ce = ceAcc.value();
        double loss = t * t * ce + lambda * lse * lse;
        double[] grad = new double[k];
        for (int j = 0; j < k; j++) {
            if (!on[j]) {
                continue;
            }
            double p = Math.exp(shifted[j]) / sumExp;
            double wy = (w == null ? 1 : w[j]) * ys[j];
            grad[j] = t * (p * s - wy) + (2 * lambda / t) * lse * p;
        }
        double bigL = Math.abs(m) + logSum;
        return new Row(loss, grad, t * t * s + lambda * bigL * bigL, t * Math.max(s, maxWy) + (2 * lambda / t) * bigL);
    }

    /** One-hot row for class id {@code c} of {@code k}. */
    public static double[] oneHot(int c, int k) {
        double[] y = new double[k];
        y[c] = 1;
        return y;
    }
}
