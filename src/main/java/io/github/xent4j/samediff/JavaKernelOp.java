package io.github.xent4j.samediff;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOpDescriptor;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base of the xent4j SameDiff ops: a custom op whose work is done in Java, by {@link
 * io.github.xent4j.XentKernel}, while SameDiff executes the graph.
 *
 * <p>How it works in ND4J 1.0.0-M2.1 (no API for Java-executed ops exists there):
 * {@code InferenceSession} fills an {@link OpContext} with the op's real input arrays and its
 * iArgs/tArgs, calls {@link #calculateOutputShape(OpContext)}, allocates the outputs with the
 * returned shapes and then executes the native op whose hash is {@link #opHash()}. This class
 * runs the kernel in {@code calculateOutputShape(OpContext)}, puts the result into input slot 0
 * of the context and borrows the hash and descriptor of libnd4j's {@code identity} op, which
 * copies input 0 into the output. Every op has a unique name that libnd4j does not know, so that
 * FlatBuffers (used by {@code createGradFunction}, {@code save} and {@code load}) finds the class
 * by its name in {@code ImportClassMapping}; see {@link XentOpsRegistration}. All configuration
 * lives in iArgs, tArgs and input arrays, which FlatBuffers keeps.
 *
 * <p>The executioner asks for {@link #opHash()} after SameDiff has put the allocated output into
 * the context. At that moment an op may make its result the output itself ({@link
 * #adoptOutput}): the logits' backward op does so with the gradient that the forward op computed
 * into its per-thread buffer, and takes SameDiff's array as the next buffer. {@code identity}
 * then finds input and output on the same buffer and copies nothing, which saves one pass over
 * {@code [N, K]} memory per training step.
 *
 * <p>Outside SameDiff execution (a direct {@code Nd4j.exec(op)}) the borrowed {@code identity}
 * would silently return a copy of input 0; {@link #opHash()} therefore throws unless this op's
 * kernel has just run on the calling thread.
 */
abstract class JavaKernelOp extends DynamicCustomOp {
    /** The native op whose hash and descriptor are borrowed: it copies input 0 to output 0. */
    static final String BORROWED_NATIVE_OP = "identity";

    /** How often a result became the output without a copy (for tests). */
    static final AtomicLong OUTPUTS_HANDED_OVER = new AtomicLong();

    /** This thread's last kernel run, whose native execution is expected next. */
    private static final ThreadLocal<Prepared> PREPARED = new ThreadLocal<>();

    /**
     * The op whose kernel last ran on this thread (held weakly), and until its output is settled
     * (the first {@link #opHash()}), its context and result.
     */
    private static final class Prepared {
        final WeakReference<JavaKernelOp> op;
        OpContext context;
        INDArray result;

        Prepared(JavaKernelOp op, OpContext context, INDArray result) {
            this.op = new WeakReference<>(op);
            this.context = context;
            this.result = result;
        }
    }

    /** For reflection (FlatBuffers, ImportClassMapping); must not touch Nd4j. */
    JavaKernelOp() {
        super();
    }

    JavaKernelOp(SameDiff sd, SDVariable... args) {
        super(null, sd, args, false);
    }

    /**
     * The op's single output, computed from the actual input arrays; iArguments and tArguments
     * are set. Must return a new array (or one the caller may keep) of the output variable's type.
     */
    abstract INDArray compute(List<INDArray> inputs);

    /**
     * Whether {@code result} (what {@link #compute} just returned) becomes the op's output itself,
     * in place of {@code allocated}, the array SameDiff has just allocated for it. An op that says
     * yes takes {@code allocated} over, to compute into on a later call: nothing else refers to
     * it. Both have the same type and shape and are dense, in c order. The default: no (the
     * output is a copy of the result). Neither array is in a workspace.
     */
    boolean adoptOutput(INDArray result, INDArray allocated) {
        return false;
    }

    @Override
    public abstract String opName();

    static CustomOpDescriptor borrowedDescriptor() {
        CustomOpDescriptor d = Nd4j.getExecutioner().getCustomOperations().get(BORROWED_NATIVE_OP);
        if (d == null) {
            throw new IllegalStateException("xent4j SameDiff ops borrow libnd4j's '" + BORROWED_NATIVE_OP
                    + "' op, which this ND4J backend does not have (ND4J changed; xent4j supports 1.0.0-M2.1)");
        }
        return d;
    }

    /**
     * The borrowed {@code identity} hash, only while SameDiff is executing this op (its kernel
     * has just run on this thread); otherwise an {@link IllegalStateException}, because the native
     * op alone would return a copy of the first input instead of the result.
     */
    @Override
    public long opHash() {
        Prepared prepared = PREPARED.get();
        if (prepared == null || prepared.op.get() != this) {
            throw new IllegalStateException(opName() + " is an xent4j SameDiff op: its result is computed in Java while "
                    + "SameDiff executes the graph (sd.output, calculateGradients, fit). Executed on its own "
                    + "(Nd4j.exec) it would only copy its first input. For INDArrays call io.github.xent4j.XentKernel.");
        }
        if (prepared.context != null) {
            handOver(this, prepared.context, prepared.result);
            prepared.context = null;
            prepared.result = null;
        }
        return borrowedDescriptor().getHash();
    }

    /**
     * Runs when SameDiff has allocated the output and is about to execute the borrowed {@code
     * identity}: if the op adopts the allocated array, its result becomes the output (input 0 and
     * output 0 are then the same buffer, which {@code identity} does not copy).
     */
    private static void handOver(JavaKernelOp op, OpContext context, INDArray result) {
        List<INDArray> outs = context.getOutputArrays();
        INDArray allocated = outs == null || outs.size() != 1 ? null : outs.get(0);
        // a workspace array (DL4J's SameDiff layers) is reset with its workspace: never adopted
        if (allocated != null && allocated != result && !allocated.isAttached() && !result.isAttached()
                && sameDenseLayout(result, allocated) && op.adoptOutput(result, allocated)) {
            context.setOutputArray(0, result);
            OUTPUTS_HANDED_OVER.incrementAndGet();
        }
    }

    private static boolean sameDenseLayout(INDArray a, INDArray b) {
        return a.dataType() == b.dataType() && Arrays.equals(a.shape(), b.shape()) && !a.isEmpty()
                && !a.isView() && !b.isView() && a.ordering() == 'c' && b.ordering() == 'c'
                && a.data().length() == a.length() && b.data().length() == b.length();
    }

    /** {@code DynamicCustomOp.opNum()} is {@code (int) opHash()}; informational callers must not throw. */
    @Override
    public int opNum() {
        return (int) borrowedDescriptor().getHash();
    }

    @Override
    public CustomOpDescriptor getDescriptor() {
        return borrowedDescriptor();
    }

    /** The default looks the name up in libnd4j's op definitions and fails for ours. */
    @Override
    public Map<String, Object> propertiesForFunction() {
        return new LinkedHashMap<>();
    }

    /** Everything is in iArgs, tArgs and inputs. */
    @Override
    public void setPropertiesForFunction(Map<String, Object> properties) {
    }

    @Override
    public int getNumOutputs() {
        return 1;
    }

    /**
     * Runs the kernel on the context's input arrays, puts the result into input slot 0 (the
     * borrowed {@code identity} copies it to the output) and returns its shape. Without a context
     * (static shape inference) the shape is unknown: an empty list.
     */
    @Override
    public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
        if (oc == null) {
            return Collections.emptyList();
        }
        List<INDArray> in = oc.getInputArrays();
        if (in == null || in.isEmpty() || in.contains(null)) {
            return Collections.emptyList();
        }
        INDArray out = compute(in);
        oc.setInputArray(0, out);
        PREPARED.set(new Prepared(this, oc, out));
        return Collections.singletonList(LongShapeDescriptor.fromShape(out.shape(), out.dataType()));
    }

    @Override
    public List<LongShapeDescriptor> calculateOutputShape() {
        return Collections.emptyList();
    }

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> dataTypes) {
        return Collections.singletonList(dataTypes.get(0));
    }

    /** Backward ops are not differentiated again. */
    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        throw new UnsupportedOperationException(opName() + ": second derivatives are not supported");
    }

    int iArg(int i) {
        return (int) (long) iArguments.get(i);
    }

    double tArg(int i) {
        return tArguments.get(i);
    }
}
