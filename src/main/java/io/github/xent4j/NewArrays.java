package io.github.xent4j;

import org.nd4j.common.util.ArrayUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * New uninitialised c-order arrays in the current workspace: what {@code
 * Nd4j.createUninitialized(type, shape, 'c')} makes, for less on the CPU backend.
 *
 * <p>In ND4J 1.0.0-M2.1 {@code createUninitialized} builds the shape information through a
 * provider method that bypasses ND4J's own shape-information cache, and so allocates two JavaCPP
 * pointers per array; JavaCPP reads {@code /proc/self/statm} for each allocation (its {@code
 * maxPhysicalBytes} check). The array factory's constructor with paddings looks the shape
 * information up in that cache. With zero paddings it makes the same array: the same buffer,
 * shape information, element-wise stride and workspace. On the CPU backend it costs 1.5 to 4 µs
 * where {@code createUninitialized} costs about 9 (a [128, 10] float array in a workspace). The
 * other backends, empty shapes, scalars and shapes for which that constructor would allocate
 * too little (a leading dimension of 1, as {@code [1, K]}) use {@code createUninitialized}.
 */
final class NewArrays {
    /** The CUDA factory's padded constructor is untested here, so only the CPU backend uses it. */
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    private NewArrays() {
    }

    /** An uninitialised c-order array of {@code type} and {@code shape}, in the current workspace. */
    static INDArray uninitialized(DataType type, long... shape) {
        if (!CPU || shape.length == 0) {
            return Nd4j.createUninitialized(type, shape, 'c');
        }
        long length = 1;
        for (long d : shape) {
            if (d <= 0) {
                return Nd4j.createUninitialized(type, shape, 'c');
            }
            length *= d;
        }
        // the padded constructor allocates shape[0] * stride[0] elements; ND4J gives a leading
        // dimension of 1 the stride 1, so [1, K] would get one element
        if (shape[0] * ArrayUtil.calcStrides(shape, 1)[0] != length) {
            return Nd4j.createUninitialized(type, shape, 'c');
        }
        long[] noPadding = new long[shape.length];
        return Nd4j.getNDArrayFactory().create(type, shape, noPadding, noPadding, 'c',
                Nd4j.getMemoryManager().getCurrentWorkspace());
    }
}
