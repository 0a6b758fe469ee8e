package io.github.xent4j;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row reductions and broadcasts of the ND4J path, with the per-call cost of a native call
 * kept small: each thread keeps one op object and one {@link OpContext} per kind of call, with
 * the op's integer and boolean arguments set once, and sets only the arrays per call. ND4J's
 * {@code exec(CustomOp)} builds, fills and closes a new context on every call, which costs
 * several times the arithmetic of a {@code [128, 10]} array.
 *
 * <p>The context is purged after every call: a context keeps every array it is given (natively,
 * and as Java references) until it is purged or closed, so a reused one that is not purged
 * grows without bound and keeps its callers' arrays reachable.
 *
 * <p>Each thread also keeps {@linkplain #scratch scratch arrays} for the per-call intermediates
 * of at most {@value #SCRATCH_LIMIT} elements (the {@code [N]} row scalars, and the {@code [N, K]}
 * temporaries of small inputs), made outside every workspace and never handed to a caller.
 * Everything here uses ND4J's backend-independent API, so it runs on every backend.
 */
final class NativeCalls {

    /** Intermediates of at most this many elements live in per-thread scratch arrays. */
    static final long SCRATCH_LIMIT = 1 << 16;

    /** The per-thread intermediates; each has one use per call, so they cannot overlap. */
    enum Scratch {
        /** Row sums of the labels, {@code [N]}. */
        LABEL_SUMS,
        /** Row minima of the labels, {@code [N]}. */
        LABEL_MIN,
        /** Row maxima of the logits, {@code [N, 1]}. */
        MAX,
        /** Row dots of the target and the shifted logits, {@code [N]}. */
        DOT,
        /** Row sums of the exponentials, {@code [N]}. */
        SUM_EXP,
        /** The gradient's per-row coefficient, {@code [N, 1]}. */
        COEFFICIENT,
        /** The per-example mask multipliers, {@code [N, 1]}. */
        ROW_WEIGHTS,
        /** Element-wise products for a row dot, {@code [N, K]}. */
        PRODUCTS,
        /** The shifted logits and their exponentials when no gradient is asked for, {@code [N, K]}. */
        VALUES
    }

    private static final ThreadLocal<NativeCalls> THREAD = ThreadLocal.withInitial(NativeCalls::new);

    private final Site rowSum = new Site("reduce_sum", false);
    private final Site rowSumKeep = new Site("reduce_sum", true);
    private final Site rowMax = new Site("reduce_max", false);
    private final Site rowMaxKeep = new Site("reduce_max", true);
    private final Site rowMin = new Site("reduce_min", false);
    private final Site rowMinKeep = new Site("reduce_min", true);
    private final Site subtract = new Site("subtract");
    private final Site multiply = new Site("multiply");
    private final INDArray[] scratch = new INDArray[Scratch.values().length];

    private NativeCalls() {
    }

    /** This thread's instance. */
    static NativeCalls get() {
        return THREAD.get();
    }

    /** {@code out[n] = sum_k x[n, k]}; {@code out} is {@code [N]} or {@code [N, 1]}. */
    INDArray rowSum(INDArray x, INDArray out) {
        return (out.rank() == 2 ? rowSumKeep : rowSum).run(out, x);
    }

    /** {@code out[n] = max_k x[n, k]}; {@code out} is {@code [N]} or {@code [N, 1]}. */
    INDArray rowMax(INDArray x, INDArray out) {
        return (out.rank() == 2 ? rowMaxKeep : rowMax).run(out, x);
    }

    /** {@code out[n] = min_k x[n, k]}; {@code out} is {@code [N]} or {@code [N, 1]}. */
    INDArray rowMin(INDArray x, INDArray out) {
        return (out.rank() == 2 ? rowMinKeep : rowMin).run(out, x);
    }

    /** {@code out = a - b}, broadcasting ({@code b} may be {@code [N, 1]}); {@code out} may be {@code a}. */
    INDArray subtract(INDArray a, INDArray b, INDArray out) {
        return subtract.run(out, a, b);
    }

    /** {@code out = a * b}, broadcasting ({@code b} may be {@code [N, 1]}); {@code out} may be {@code a}. */
    INDArray multiply(INDArray a, INDArray b, INDArray out) {
        return multiply.run(out, a, b);
    }

    /**
     * {@code out[n] = sum_k a[n, k] * b[n, k]}, {@code out} {@code [N]}. Small inputs take a product
     * into scratch and a row sum (two cheap calls); large ones libnd4j's {@code Dot}, one pass.
     */
    INDArray rowDot(INDArray a, INDArray b, INDArray out) {
        if (a.length() > SCRATCH_LIMIT) {
            return Nd4j.getExecutioner().exec(new Dot(a, b, out, 1));
        }
        INDArray products = scratch(Scratch.PRODUCTS, a.dataType(), a.shape());
        return rowSum(multiply(a, b, products), out);
    }

    /**
     * An uninitialised c-order array for {@code slot}: this thread's own (outside every workspace,
     * reused by the next call that asks for the same slot) when it has at most
     * {@value #SCRATCH_LIMIT} elements, otherwise a new array in the current workspace. The
     * caller must not hand it out or keep it.
     */
    INDArray scratch(Scratch slot, DataType type, long... shape) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        if (length > SCRATCH_LIMIT) {
            return NewArrays.uninitialized(type, shape);
        }
        INDArray a = scratch[slot.ordinal()];
        if (a == null || a.dataType() != type || !Arrays.equals(a.shape(), shape)) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                a = NewArrays.uninitialized(type, shape);
            }
            scratch[slot.ordinal()] = a;
        }
        return a;
    }

    /** One kind of call: a custom op and a context holding its fixed arguments. */
    private static final class Site {
        private final DynamicCustomOp op;
        private final OpContext context;

        /** A row reduction (dimension 1), keeping the reduced dimension or not. */
        Site(String reduction, boolean keepDims) {
            this(reduction);
            context.setIArguments(1);
            context.setBArguments(keepDims);
        }

        Site(String name) {
            op = DynamicCustomOp.builder(name).build();
            context = Nd4j.getExecutioner().buildContext();
        }

        INDArray run(INDArray out, INDArray... in) {
            try {
                for (int i = 0; i < in.length; i++) {
                    context.setInputArray(i, in[i]);
                }
                context.setOutputArray(0, out);
                Nd4j.getExecutioner().exec(op, context);
                return out;
            } finally {
                context.purge();   // drops the arrays, keeps the arguments
            }
        }
    }
}
