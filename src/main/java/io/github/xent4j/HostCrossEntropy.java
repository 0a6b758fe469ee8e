package io.github.xent4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The cross-entropy of small inputs, row by row in float64 on copies of the inputs: at MNIST's
 * {@code [128, 10]} one native op costs microseconds, the arithmetic of a whole batch about as
 * much. It reads the inputs once and writes each result once, on any ND4J backend. The rows
 * follow the definitions of {@link XentKernel} literally:
 * <pre>{@code
 * m = max_j z_j,  d_j = (z_j - m) / t,  r = sum_{z_j < m} exp(d_j),  c = #{j : z_j = m}
 * log sum exp(u - m) = log1p(r + c - 1),  LSE = m / t + log1p(r + c - 1),  p_j = exp(d_j) / (c + r)
 * loss = t^2 * (S * log1p(r + c - 1) - sum_j w_j y'_j d_j) + lambda * LSE^2
 * grad = t * (p_j * S - w_j y'_j) + (2 lambda / t) * LSE * p_j
 * }</pre>
 */
final class HostCrossEntropy {
    private HostCrossEntropy() {
    }

    static XentKernel.Result solve(Problem.Shapes shapes, INDArray logits, INDArray labels, INDArray mask,
                                   XentOptions options, XentKernel.Output output) {
        int n = shapes.n;
        int k = shapes.k;
        DataType inType = logits.dataType();
        DataType computeType = XentKernel.computeType(inType);
        double largest = computeType == DataType.DOUBLE ? Double.MAX_VALUE : Float.MAX_VALUE;
        double[] z = HostValues.read(logits);
        double[] rowWeights = null;
        double[] available = null;
        if (shapes.maskKind == InputChecks.MASK_PER_EXAMPLE) {
            rowWeights = InputChecks.rowMultipliers(mask, n);
        } else if (shapes.maskKind == InputChecks.MASK_PER_OUTPUT) {
            available = InputChecks.availability(mask, n, k);
        }
        int[] ids = null;
        double[] y = null;
        if (shapes.classIds) {
            ids = InputChecks.classIds(labels, n, k, options.ignoreIndex(), rowWeights);
        } else {
            // labels are converted to the compute type, as the native path does
            y = HostValues.read(labels.dataType() == DataType.DOUBLE && computeType != DataType.DOUBLE
                    ? labels.castTo(computeType) : labels);
        }
        double t = options.temperature();
        double lambda = options.zLoss();
        double eps = options.labelSmoothing();
        double[] w = options.classWeights();
        double zFactor = 2 * lambda / t;

        double[] loss = output.anyLoss() ? new double[n] : null;
        double[] grad = output.gradient ? new double[n * k] : null;
        double lossSum = 0;
        double[] wy = new double[k];
        double[] d = new double[k];
        double[] e = new double[k];
        for (int i = 0; i < n; i++) {
            double mult = rowWeights == null ? 1 : rowWeights[i];
            if (ids != null && ids[i] < 0) {
                mult = 0;                                // ignoreIndex
            }
            int base = i * k;
            int kn = 0;
            double m = Double.NEGATIVE_INFINITY;
            boolean bad = false;
            for (int j = 0; j < k; j++) {
                if (available == null || available[base + j] != 0) {
                    kn++;
                    double v = z[base + j];
                    bad |= v != v || v == Double.POSITIVE_INFINITY;
                    m = Math.max(m, v);
                }
            }
            if (mult == 0 || kn == 0) {
                continue;                                // masked: exactly 0, never validated
            }
            bad |= m == Double.NEGATIVE_INFINITY;
            double labelSum = 0;
            double sum = 0;                              // S
            for (int j = 0; j < k; j++) {
                boolean on = available == null || available[base + j] != 0;
                double yj = !on ? 0 : ids != null ? (ids[i] == j ? 1 : 0) : y[base + j];
                bad |= !(yj >= 0) || yj == Double.POSITIVE_INFINITY;      // NaN fails
                labelSum += yj;
                wy[j] = on ? (w == null ? 1 : w[j]) * ((1 - eps) * yj + eps / kn) : 0;
                sum += wy[j];
            }
            bad |= labelSum > largest;                   // the label sum must exist in the compute type
            if (bad) {
                InputChecks.diagnoseValues(logits, labels, mask, options);
                throw new IllegalStateException("row " + i + " holds a value that the diagnosis accepts");
            }
            int c = 0;
            double r = 0;
            for (int j = 0; j < k; j++) {
                boolean on = available == null || available[base + j] != 0;
                double v = z[base + j];
                d[j] = on ? (v - m) / t : Double.NEGATIVE_INFINITY;
                if (on && v == m) {
                    c++;
                    e[j] = 1;
                } else {
                    e[j] = Math.exp(d[j]);
                    r += e[j];
                }
            }
            double logSum = Math.log1p(r + (c - 1));
            double lse = m / t + logSum;
            if (loss != null) {
                double dot = 0;                          // sum_j w y' d_j, with 0 * (-inf) = 0
                for (int j = 0; j < k; j++) {
                    if (wy[j] != 0) {
                        dot += wy[j] * d[j];
                    }
                }
                double v = t * t * (sum * logSum - dot) + (lambda == 0 ? 0 : lambda * lse * lse);
                loss[i] = v * mult;
                lossSum += HostValues.asType(loss[i], inType);   // the sum of the losses as returned
            }
            if (grad != null) {
                double sumExp = c + r;
                double zc = zFactor * lse;
                for (int j = 0; j < k; j++) {
                    double p = e[j] / sumExp;
                    grad[base + j] = (t * (p * sum - wy[j]) + zc * p) * mult;
                }
            }
        }
        return new XentKernel.Result(output.perExample ? HostValues.write(loss, inType, n) : null,
                grad == null ? null : HostValues.write(grad, inType, n, k), output.anyLoss() ? lossSum : Double.NaN);
    }
}
