package io.github.xent4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Max;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The max-shifted values of every slice along {@code dim}, {@code (x - m) * scale}, then their
 * exponentials and sums, as ND4J native ops. The shift comes before the scaling so that
 * {@code x - m} is exact for neighbouring values and the scaling adds only a relative rounding
 * error. One {@code [.., K, ..]} array holds the shifted values and, after {@link #exponentiate},
 * their exponentials: callers that need both use the shifted values first.
 */
final class Slices {
    /** Slice maxima (kept dimension of size 1); with {@code zeroInfiniteMax}, infinite maxima are 0. */
    final INDArray max;
    /** {@code (x - max) * scale}, then {@code exp} of it; c-order, owned by the caller. */
    final INDArray values;
    private final int dim;
    /** Sum of the exponentials per slice (kept dimension of size 1), after {@link #exponentiate}. */
    INDArray sumExp;

    private Slices(INDArray max, INDArray values, int dim) {
        this.max = max;
        this.values = values;
        this.dim = dim;
    }

    /**
     * @param x               input in the compute type, not modified
     * @param dim             normalised dimension
     * @param scale           factor applied after the shift (1 / temperature)
     * @param zeroInfiniteMax replace infinite slice maxima by 0, so that an all {@code -inf}
     *                        slice gives {@code exp = 0} (log-sum-exp {@code -inf}) and a
     *                        {@code +inf} entry gives {@code +inf} rather than NaN; without
     *                        it both give NaN, which the cross-entropy uses to detect invalid
     *                        rows for free
     */
    static Slices shift(INDArray x, int dim, double scale, boolean zeroInfiniteMax) {
        INDArray max = Nd4j.getExecutioner().exec(new Max(x, true, dim));        // keepDims: broadcastable
        if (zeroInfiniteMax) {
            BooleanIndexing.replaceWhere(max, 0.0, Conditions.isInfinite());
        }
        INDArray shifted = NewArrays.uninitialized(x.dataType(), x.shape());
        Nd4j.exec(new SubOp(new INDArray[]{x, max}, new INDArray[]{shifted}));
        if (scale != 1.0) {
            shifted.muli(scale);
        }
        return new Slices(max, shifted, dim);
    }

    /**
     * The rows of {@code [N, K]} (dimension 1, infinite maxima kept) into the caller's arrays,
     * through this thread's reused calls ({@link NativeCalls}): the cross-entropy's case, where
     * the per-call cost matters.
     *
     * @param max    {@code [N, 1]}, receives the row maxima
     * @param values {@code [N, K]} c-order, receives {@code (x - max) * scale}
     */
    static Slices rows(INDArray x, double scale, INDArray max, INDArray values) {
        NativeCalls calls = NativeCalls.get();
        calls.rowMax(x, max);
        calls.subtract(x, max, values);
        if (scale != 1.0) {
            values.muli(scale);
        }
        return new Slices(max, values, 1);
    }

    /** Replaces the shifted values by their exponentials and sums them per slice. */
    Slices exponentiate() {
        Nd4j.getExecutioner().exec(new Exp(values, values));
        sumExp = Nd4j.getExecutioner().exec(new Sum(values, true, dim));
        return this;
    }

    /** {@link #exponentiate()} of {@link #rows}, with the row sums into {@code sumExp} ({@code [N]}). */
    Slices exponentiateRows(INDArray sumExp) {
        Nd4j.getExecutioner().exec(new Exp(values, values));
        this.sumExp = NativeCalls.get().rowSum(values, sumExp);
        return this;
    }

    /**
     * {@code log sum exp} of the shifted values per slice (kept dimension of size 1), after
     * {@link #exponentiate}: {@code log1p(t)}, {@code t = r + c - 1}, with {@code r} the sum of the exponentials
     * below 1 (the non-maximal entries) and {@code c} the count of the others (the maxima), so
     * that a tiny result keeps its digits ({@code log(sumExp)} would round {@code 1 + 4e-8} to 1 in
     * float32). Where {@code sumExp} is not finite ({@code +inf} or NaN entries) it is
     * {@code log(sumExp)}; an all {@code -inf} slice (all exponentials 0) gives {@code -inf}.
     */
    INDArray logSum() {
        INDArray below = InputChecks.matches(values, Conditions.lessThan(1.0)).castTo(values.dataType());
        INDArray rest = Nd4j.getExecutioner().exec(new Sum(values.mul(below), true, dim));
        INDArray belowCount = Nd4j.getExecutioner().exec(new Sum(below, true, dim));
        // t = r + (c - 1) with c = size - count below 1
        INDArray t = rest.addi(belowCount.rsubi(values.size(dim) - 1));
        // log1p(t) = t log(u) / (u - 1) with u = 1 + t as rounded (Goldberg), t where u = 1 (0 / 0):
        // libnd4j's Log1p is log(1 + t), which loses the digits of a tiny t
        INDArray u = t.add(1.0);
        INDArray accurate = Nd4j.getExecutioner().exec(new Log(u.dup())).muli(t).divi(u.subi(1.0));
        BooleanIndexing.replaceWhere(accurate, t, Conditions.isNan());
        INDArray plain = Nd4j.getExecutioner().exec(new Log(sumExp.dup()));
        BooleanIndexing.replaceWhere(plain, accurate, Conditions.isFinite());
        return plain;
    }
}
