package io.github.xent4j;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The default path: every array operation is an ND4J native op, so it runs on any ND4J backend
 * (CPU or CUDA). Only per-row scalars ({@code [N]} vectors) are read back, to be combined in
 * float64 ({@link Nd4jCrossEntropy}); the log-softmax family runs as native ops throughout.
 */
final class Nd4jKernelPath implements KernelPath {

    /** The path of {@link KernelPaths}. */
    static final Nd4jKernelPath INSTANCE = new Nd4jKernelPath();

    private Nd4jKernelPath() {
    }

    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public String toString() {
        return "nd4j";
    }

    @Override
    public XentKernel.Result compute(INDArray logits, INDArray labels, INDArray mask, XentOptions options,
                                     XentKernel.Output output) {
        Problem.Shapes shapes = Problem.Shapes.check(logits, labels, mask, options);
        if (shapes.n == 0) {
            DataType type = logits.dataType();
            return new XentKernel.Result(output.perExample ? Nd4j.create(type, 0) : null,
                    output.gradient ? Nd4j.create(type, 0, shapes.k) : null, output.anyLoss() ? 0.0 : Double.NaN);
        }
        return Nd4jCrossEntropy.solve(Problem.prepare(shapes, logits, labels, mask, options, false), output);
    }

    @Override
    public INDArray labelsGradient(INDArray logits, INDArray labels, INDArray mask, XentOptions options) {
        Problem.Shapes shapes = Problem.Shapes.check(logits, labels, mask, options);
        if (shapes.n == 0) {
            return shapes.classIds ? Nd4j.create(labels.dataType(), labels.shape())
                    : Nd4j.create(logits.dataType(), 0, shapes.k);
        }
        Problem p = Problem.prepare(shapes, logits, labels, mask, options, true);
        if (p.fromClassIds) {
            return Nd4j.zeros(labels.dataType(), labels.shape());
        }
        double t = options.temperature();
        Slices s = Slices.shift(p.z, 1, 1.0 / t, true);
        INDArray logp = s.values.dup();                                  // (z - m) / t
        INDArray logSum = Nd4j.getExecutioner().exec(new Log(s.exponentiate().sumExp));   // [N, 1]
        // Validation as compute() does it: NaN or +inf logits and unmasked all -inf rows make the
        // log-sum non-finite, bad labels show in their sum or minimum; only then is the culprit searched.
        if (!Double.isFinite(sumInDouble(logSum)) || !Double.isFinite(sumInDouble(p.y))
                || Nd4jCrossEntropy.minimum(p.y) < 0) {
            InputChecks.diagnoseValues(logits, labels, mask, options);
        }
        Nd4j.exec(new SubOp(new INDArray[]{logp, logSum}, new INDArray[]{logp}));   // log p; -inf where z = -inf
        INDArray grad = logp.muli(-t * t * (1 - options.labelSmoothing()));
        if (options.hasClassWeights()) {
            INDArray w = options.classWeightArray(p.computeType).reshape(1, p.k);
            Nd4j.exec(new MulOp(new INDArray[]{grad, w}, new INDArray[]{grad}));
        }
        if (p.available != null) {
            grad = Problem.select(p.available.neq(0), grad, Nd4j.zeros(p.computeType, p.n, p.k));
        }
        if (p.rowWeights != null) {
            // masked rows hold zeroed logits, so their values are finite and become exactly 0
            Nd4jCrossEntropy.mulRows(grad, p.rowWeightColumn(grad.dataType()));
        }
        return grad.castTo(p.inType);
    }

    @Override
    public INDArray logSumExp(INDArray x, int dimension, boolean keepDims) {
        int dim = checkDimension("x", x, dimension);
        DataType in = x.dataType();
        Slices s = Slices.shift(castForCompute(x), dim, 1.0, true).exponentiate();
        INDArray lse = s.max.addi(s.logSum());           // log1p-accurate when the result is tiny
        if (!keepDims) {
            lse = lse.reshape(reducedShape(x.shape(), dim));
        }
        return lse.castTo(in);
    }

    @Override
    public INDArray logSoftmax(INDArray x, int dimension) {
        int dim = checkDimension("x", x, dimension);
        DataType in = x.dataType();
        Slices s = Slices.shift(castForCompute(x), dim, 1.0, true);
        INDArray out = s.values.dup();                       // keep the shifted values
        INDArray logSum = Nd4j.getExecutioner().exec(new Log(s.exponentiate().sumExp));
        // An all -inf slice has sum 0: -inf - log(0) would be NaN, the contract wants -inf.
        BooleanIndexing.replaceWhere(logSum, 0.0, InputChecks.negativeInfinity(logSum.dataType()));
        Nd4j.exec(new SubOp(new INDArray[]{out, logSum}, new INDArray[]{out}));
        return out.castTo(in);
    }

    @Override
    public INDArray logSoftmaxBackward(INDArray x, int dimension, INDArray upstream) {
        int dim = checkDimension("x", x, dimension);
        if (upstream == null || !Arrays.equals(upstream.shape(), x.shape())) {
            throw new IllegalArgumentException("upstream gradient must have the shape of x " + Arrays.toString(x.shape())
                    + ", got " + (upstream == null ? "null" : Arrays.toString(upstream.shape())));
        }
        INDArray cx = castForCompute(x);
        INDArray g = upstream.castTo(cx.dataType());
        INDArray[] softmax = softmaxAndNonEmpty(cx, dim);
        INDArray sumG = Nd4j.getExecutioner().exec(new Sum(g, true, dim));
        INDArray out = NewArrays.uninitialized(cx.dataType(), x.shape());
        Nd4j.exec(new MulOp(new INDArray[]{softmax[0], sumG}, new INDArray[]{out}));
        Nd4j.exec(new SubOp(new INDArray[]{g, out}, new INDArray[]{out}));
        Nd4j.exec(new MulOp(new INDArray[]{out, softmax[1]}, new INDArray[]{out}));   // all -inf slices: 0
        return out.castTo(x.dataType());
    }

    @Override
    public INDArray logSumExpBackward(INDArray x, int dimension, INDArray upstream) {
        int dim = checkDimension("x", x, dimension);
        long[] kept = x.shape().clone();
        kept[dim] = 1;
        long[] dropped = reducedShape(x.shape(), dim);
        if (upstream == null || !(Arrays.equals(upstream.shape(), kept) || Arrays.equals(upstream.shape(), dropped))) {
            throw new IllegalArgumentException("upstream gradient must have the shape of logSumExp(x) along dimension "
                    + dimension + ", " + Arrays.toString(dropped) + " or " + Arrays.toString(kept) + " (keepDims), got "
                    + (upstream == null ? "null" : Arrays.toString(upstream.shape())));
        }
        INDArray cx = castForCompute(x);
        INDArray g = upstream.castTo(cx.dataType()).reshape(kept);
        INDArray p = softmaxAndNonEmpty(cx, dim)[0];
        Nd4j.exec(new MulOp(new INDArray[]{p, g}, new INDArray[]{p}));
        return p.castTo(x.dataType());
    }

    /**
     * {@code softmax(x)} along {@code dim} (0 in slices that are entirely {@code -inf}) and a
     * 0/1 array of the reduced shape (dimension kept) that is 0 for such slices.
     */
    private static INDArray[] softmaxAndNonEmpty(INDArray cx, int dim) {
        Slices s = Slices.shift(cx, dim, 1.0, true).exponentiate();
        INDArray nonEmpty = s.sumExp.neq(0).castTo(cx.dataType());
        INDArray sum = s.sumExp.dup();
        BooleanIndexing.replaceWhere(sum, 1.0, Conditions.equals(0.0));   // 0 / 1 = 0 for all -inf slices
        Nd4j.exec(new DivOp(new INDArray[]{s.values, sum}, new INDArray[]{s.values}));
        return new INDArray[]{s.values, nonEmpty};
    }

    /** Sum accumulated in float64. */
    private static double sumInDouble(INDArray x) {
        return (x.dataType() == DataType.DOUBLE ? x : x.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
    }

    private static INDArray castForCompute(INDArray x) {
        return x.castTo(XentKernel.computeType(x.dataType()));
    }

    private static int checkDimension(String name, INDArray x, int dimension) {
        if (x == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        ShapeRules.checkFloatingPoint(name, x.dataType(), "");
        return ShapeRules.checkDimension(name, x.shape(), dimension, "");
    }

    private static long[] reducedShape(long[] shape, int dim) {
        long[] reduced = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != dim) {
                reduced[j++] = shape[i];
            }
        }
        return reduced;
    }
}
