package io.github.xent4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Min;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The cross-entropy of a prepared {@link Problem} as ND4J native ops over {@code [N, K]} (row
 * max, one shifted exponentiation, a row sum and a dot, one pass for the gradient), with the
 * per-row scalars ({@code S}, {@code LSE}, the loss, the gradient's coefficient) in float64.
 * Invalid values are found as a side effect (non-finite row scalars of the rows that count) and
 * diagnosed by {@link InputChecks#diagnoseValues}. Masked rows are computed like the others, from
 * whatever they hold, and zeroed at the end: cheaper than removing them first.
 */
final class Nd4jCrossEntropy {
    private Nd4jCrossEntropy() {
    }

    /**
     * Exponentiates with Exp in place and a row Sum: with one native thread (OMP_NUM_THREADS=1)
     * 8 to 15% faster at {@code [1024, 1000]} and {@code [4096, 1000]} than libnd4j's SoftMax
     * with the row sums from its maxima, and SoftMax parallelises worse.
     */
    static XentKernel.Result solve(Problem p, XentKernel.Output output) {
        XentOptions o = p.options;
        int n = p.n;
        double t = o.temperature();
        double lambda = o.zLoss();

        // target = w * y' (the weighted smoothed labels), and S = its row sums computed as
        // (1 - eps) * sum(w * y) + eps * mean of the available w, not as a sum of K small numbers.
        NativeCalls calls = NativeCalls.get();
        DataType ct = p.computeType;
        INDArray target = weightedSmoothedLabels(p, ct);
        double[] s = HostValues.read(rowLabelSums(p, ct));
        double[] rowMin = null;
        if (!p.fromClassIds) {
            // negative labels leave every result finite: their own test, per row (masked rows hold anything)
            rowMin = HostValues.read(calls.rowMin(p.y, calls.scratch(NativeCalls.Scratch.LABEL_MIN, ct, n)));
            for (int i = 0; i < n; i++) {
                if (rowMin[i] < 0 && counts(p, i)) {
                    InputChecks.diagnoseValues(p.logits, p.labels, p.mask, o);   // throws
                    break;
                }
            }
        }

        // The gradient is written over the shifted values; without one they are a temporary.
        INDArray values = output.gradient ? NewArrays.uninitialized(ct, n, p.k)
                : calls.scratch(NativeCalls.Scratch.VALUES, ct, n, p.k);
        Slices sl = Slices.rows(p.z, 1.0 / t, calls.scratch(NativeCalls.Scratch.MAX, ct, n, 1), values);
        // sum_k w y' (u_k - m) needs the shifted values, before they become probabilities
        double[] dot = output.anyLoss()
                ? HostValues.read(calls.rowDot(target, sl.values, calls.scratch(NativeCalls.Scratch.DOT, ct, n)))
                : null;
        double[] max = HostValues.read(sl.max);
        sl.exponentiateRows(calls.scratch(NativeCalls.Scratch.SUM_EXP, ct, n));   // values become exp(u - m)
        double[] sumExp = HostValues.read(sl.sumExp);    // values / sumExp = p
        // Masked rows are computed from whatever they hold. Where their exponentials' sum is
        // finite, their labels are not negative and t * S (which bounds t * w y') is within the
        // compute type's range, every entry of their gradient is finite, and the mask's 0 makes it
        // exactly 0; otherwise the NaNs (0 * inf, inf - inf) are replaced at the end.
        double largest = ct == DataType.DOUBLE ? Double.MAX_VALUE : Float.MAX_VALUE;
        boolean maskedRowsFinite = true;
        // A 0/1 mask whose masked rows have all-zero targets (padded time steps, ignored class
        // ids) needs no pass of its own: those rows' coefficient is 0, so their gradient is 0 already.
        boolean maskIsNoOp = p.rowWeights != null && o.labelSmoothing() == 0;
        if (p.rowWeights != null) {
            for (int i = 0; i < n; i++) {
                double m = p.rowWeights[i];
                boolean finite = Double.isFinite(sumExp[i]) && Math.max(t, 1) * s[i] <= largest
                        && (rowMin == null || rowMin[i] >= 0);
                if (m == 0) {
                    maskedRowsFinite &= finite;
                    maskIsNoOp &= finite && s[i] == 0;
                } else {
                    maskIsNoOp &= m == 1;
                }
            }
        }
        boolean sumsInDouble = !allFinite(s);
        if (sumsInDouble) {
            // weighted label sums beyond the compute type's range (or invalid labels): in float64
            s = HostValues.read(rowLabelSums(p, DataType.DOUBLE));
        }
        // weighted labels below float32's normal range are rounded to multiples of 2^-149, not
        // to float32's precision: rows whose labels are all that small (S < 2^-64) are summed in
        // float64 (and their dots too, below), once
        boolean tinyLabels = p.computeType != DataType.DOUBLE && anyTiny(p, s);
        if (tinyLabels && !sumsInDouble) {
            s = HostValues.read(rowLabelSums(p, DataType.DOUBLE));
        }
        double[] r = null;
        double[] below = null;
        if (lambda != 0) {
            // log1p(r + c - 1) with r the sum of the exponentials below 1 (the non-maximal
            // entries) and c the count of the maxima: exact when the log-sum-exp is tiny
            INDArray belowOne = InputChecks.matches(sl.values, Conditions.lessThan(1.0)).castTo(p.computeType);
            r = HostValues.read(Nd4j.getExecutioner().exec(new Dot(sl.values, belowOne, 1)));
            below = HostValues.read(Nd4j.getExecutioner().exec(new Sum(belowOne, 1)));
        }
        double[] logSum = new double[n];                 // log sum exp(u - m)
        boolean suspect = false;
        for (int i = 0; i < n; i++) {
            logSum[i] = r == null ? Math.log(sumExp[i]) : Math.log1p(r[i] + (p.k - below[i] - 1));
            // NaN or +inf logits and all -inf rows make the exponentials' sum non-finite (one
            // class: the maximum), NaN or infinite labels S; -inf logits make the dot -inf
            // (positive target) or NaN (zero target)
            suspect |= (!Double.isFinite(sumExp[i]) || !Double.isFinite(max[i]) || !Double.isFinite(logSum[i])
                    || !Double.isFinite(s[i]) || dot != null && !Double.isFinite(dot[i])) && counts(p, i);
        }
        if (suspect) {
            InputChecks.diagnoseValues(p.logits, p.labels, p.mask, o);   // throws for invalid input
            if (dot != null) {
                dot = dotInFloat64(p);
            }
        } else if (tinyLabels && dot != null) {
            dot = dotInFloat64(p);
        }

        double[] lse = new double[n];                    // LSE of u, in float64: m / t may overflow the type
        for (int i = 0; i < n; i++) {
            lse[i] = max[i] / t + logSum[i];
        }
        INDArray loss = null;
        double lossSum = Double.NaN;
        if (output.anyLoss()) {
            // loss = t^2 * (S * log sum exp(u - m) - sum_k w y' (u_k - m)) + lambda * LSE^2
            double[] l = new double[n];
            lossSum = 0;
            for (int i = 0; i < n; i++) {
                double v = t * t * (s[i] * logSum[i] - dot[i]);
                if (lambda != 0) {
                    v += lambda * lse[i] * lse[i];
                }
                l[i] = p.rowWeights == null ? v : p.rowWeights[i] == 0 ? 0 : v * p.rowWeights[i];
                lossSum += HostValues.asType(l[i], p.inType);   // the sum of the losses as returned
            }
            loss = output.perExample ? HostValues.write(l, p.inType, n) : null;
        }
        INDArray gradient = output.gradient
                ? gradient(p, sl.values, target, s, lse, sumExp, maskedRowsFinite, maskIsNoOp) : null;
        return new XentKernel.Result(loss, gradient, lossSum);
    }

    /**
     * {@code t * (p * (S + zc / t) - w y')} with {@code zc = (2 lambda / t) * LSE} and
     * {@code p = exp(u - m) / sumExp}, written over the exponentials in place. When {@code t * S}
     * and the coefficient are representable, the {@code t} goes into the per-row coefficient and
     * the target's factor (two passes); otherwise it is applied after the subtraction (three), in
     * float64 if the coefficient is beyond the compute type, so that the result is finite whenever
     * its true value is.
     */
    private static INDArray gradient(Problem p, INDArray values, INDArray target, double[] s, double[] lse,
                                     double[] sumExp, boolean maskedRowsFinite, boolean maskIsNoOp) {
        int n = p.n;
        double t = p.options.temperature();
        double zFactor = 2 * p.options.zLoss() / t;
        double largest = p.computeType == DataType.DOUBLE ? Double.MAX_VALUE : Float.MAX_VALUE;
        double[] coef = new double[n];
        boolean direct = true;
        for (int i = 0; i < n; i++) {
            coef[i] = counts(p, i) ? (t * s[i] + zFactor * lse[i]) / sumExp[i] : 0;
            // w y' <= S: with S representable, so is the compute type's target w y'
            direct &= Math.abs(coef[i]) <= largest && (Math.max(t, 1) * s[i] <= largest || !counts(p, i));
        }
        INDArray g = values;
        if (direct) {
            NativeCalls calls = NativeCalls.get();
            mulRows(g, HostValues.writeInto(coef, calls.scratch(NativeCalls.Scratch.COEFFICIENT, p.computeType, n, 1)));
            Nd4j.getExecutioner().exec(new Axpy(target, g, g, -t));
        } else {
            boolean finite = true;
            for (int i = 0; i < n; i++) {
                coef[i] = counts(p, i) ? (s[i] + zFactor / t * lse[i]) / sumExp[i] : 0;
                finite &= Math.abs(coef[i]) <= largest && (s[i] <= largest || !counts(p, i));
            }
            // beyond the compute type's range (huge labels or weights): the rare rows in float64,
            // so that 0 stays 0 and only true values beyond the range become infinite
            DataType type = finite ? p.computeType : DataType.DOUBLE;
            g = values.castTo(type);
            INDArray wy = finite ? target : weightedSmoothedLabels(p, type);
            mulRows(g, HostValues.write(coef, type, n));
            Nd4j.getExecutioner().exec(new Axpy(wy, g, g, -1.0));
            // t and the row's mask as one factor: t * (p S - w y') may overflow where the masked
            // value m_n * t * (p S - w y') does not
            double[] factor = new double[n];
            for (int i = 0; i < n; i++) {
                factor[i] = p.rowWeights == null ? t : t * p.rowWeights[i];
            }
            mulRows(g, HostValues.write(factor, type, n));
        }
        if (p.rowWeights != null) {
            if (direct && !maskIsNoOp) {
                mulRows(g, p.rowWeightColumn(g.dataType()));
            }
            if (p.hasMaskedRows && !maskedRowsFinite) {
                // masked rows were computed from whatever they hold: 0 * NaN and 0 * inf are NaN
                // there (and only there: unmasked rows were validated), exactly 0 is wanted
                BooleanIndexing.replaceWhere(g, 0.0, Conditions.isNan());
            }
        }
        return g.castTo(p.inType);
    }

    /** {@code w * y'} as an array of {@code type}; {@code y} itself when that is the same. */
    private static INDArray weightedSmoothedLabels(Problem p, DataType type) {
        double eps = p.options.labelSmoothing();
        INDArray y = p.y.castTo(type);
        INDArray available = p.available == null ? null : p.available.castTo(type);
        INDArray w = p.options.classWeightArray(type);
        if (eps == 0) {
            return w == null ? y : y.mulRowVector(w);
        }
        INDArray target = y.mul(1 - eps);
        if (available == null) {
            target.addi(eps / p.k);
        } else {
            // eps / K_n on the K_n available classes of row n (K_n = 0 rows are masked; count them
            // as 1 so that 0 * (eps / 0) cannot make a NaN)
            INDArray count = Nd4j.getExecutioner().exec(new Sum(available, 1));
            BooleanIndexing.replaceWhere(count, 1.0, Conditions.lessThan(0.5));
            INDArray perClass = count.rdivi(eps);
            target.addi(available.mulColumnVector(perClass));
        }
        if (w != null) {
            target.muliRowVector(w);
        }
        return target;
    }

    /** {@code S_n = sum_k w_k y'_nk}, {@code [N]}, accumulated in {@code type}. */
    private static INDArray rowLabelSums(Problem p, DataType type) {
        double eps = p.options.labelSmoothing();
        INDArray y = p.y.castTo(type);
        INDArray available = p.available == null ? null : p.available.castTo(type);
        INDArray w = p.options.hasClassWeights() ? p.options.classWeightArray(type).reshape(p.k, 1) : null;
        INDArray weightedSum = w == null
                ? NativeCalls.get().rowSum(y, type == p.computeType
                        ? NativeCalls.get().scratch(NativeCalls.Scratch.LABEL_SUMS, type, p.n) : Nd4j.create(type, p.n))
                : y.mmul(w).reshape(p.n);
        if (eps == 0) {
            return weightedSum;
        }
        INDArray sums = weightedSum.mul(1 - eps);
        if (available == null) {
            sums.addi(eps * (w == null ? 1.0 : p.options.classWeightMean()));
        } else {
            // eps * (sum of the available w) / K_n
            INDArray count = Nd4j.getExecutioner().exec(new Sum(available, 1));
            INDArray availableWeight = w == null ? count.dup() : available.mmul(w).reshape(p.n);
            // a row with no available class is masked; avoid 0/0 there
            BooleanIndexing.replaceWhere(count, 1.0, Conditions.lessThan(0.5));
            sums.addi(availableWeight.divi(count).muli(eps));
        }
        return sums;
    }

    /** Whether a row that counts has {@code 0 < S < 2^-64} (see {@code solve}). */
    private static boolean anyTiny(Problem p, double[] s) {
        for (int i = 0; i < s.length; i++) {
            if (s[i] > 0 && s[i] < 0x1p-64 && counts(p, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean allFinite(double[] a) {
        for (double v : a) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code sum_k w y' (u_k - m)} in float64 for rows with {@code -inf} logits (or a dot beyond
     * the compute type's range), with {@code 0 * (-inf) = 0}
     * made explicit: a {@code -inf} shifted logit contributes 0 where its target is 0 and makes the
     * row's dot {@code -inf} (its loss {@code +inf}) where its target is positive.
     */
    private static double[] dotInFloat64(Problem p) {
        // The fast path's shifted values became exponentials; this rare path shifts again, in
        // float64, where a product of a large target and a large gap cannot overflow.
        DataType d = DataType.DOUBLE;
        INDArray shifted = Slices.shift(p.z.castTo(d), 1, 1.0 / p.options.temperature(), false).values;
        INDArray wy = weightedSmoothedLabels(p, d);
        INDArray negInf = InputChecks.matches(shifted, InputChecks.negativeInfinity(d)).castTo(d);
        double[] targetOnNegInf = HostValues.read(Nd4j.getExecutioner().exec(new Dot(wy, negInf, 1)));
        BooleanIndexing.replaceWhere(shifted, 0.0, Conditions.isInfinite());
        double[] dot = HostValues.read(Nd4j.getExecutioner().exec(new Dot(wy, shifted, 1)));
        for (int i = 0; i < dot.length; i++) {
            if (targetOnNegInf[i] > 0) {
                dot[i] = Double.NEGATIVE_INFINITY;
            }
        }
        return dot;
    }

    /** {@code x[n, :] *= v[n]} with a shape-broadcasting op (the legacy column broadcast is 10x slower). */
    static void mulRows(INDArray x, INDArray v) {
        NativeCalls.get().multiply(x, v.rank() == 2 ? v : v.reshape(v.length(), 1), x);
    }

    /** Whether row i counts (its multiplier is not 0): only such rows are validated. */
    private static boolean counts(Problem p, int i) {
        return p.rowWeights == null || p.rowWeights[i] != 0;
    }

    /** Smallest element, into a scalar of our own ({@code minNumber()} costs a few microseconds more). */
    static double minimum(INDArray x) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), new long[0]);
        Nd4j.getExecutioner().exec(new Min(x, out));
        return out.getDouble(0);
    }
}
