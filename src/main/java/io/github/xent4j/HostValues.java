package io.github.xent4j;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads arrays into Java arrays (c-order) and writes results back, without a native op for dense
 * c-order inputs: at small sizes one native call costs more than the arithmetic.
 */
final class HostValues {
    private HostValues() {
    }

    /** Whether the elements lie in c-order with no gaps. */
    static boolean isDenseC(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /**
     * The array itself when it owns a dense c-order buffer from its start, otherwise a c-order
     * copy (a view's {@code data()} and {@code offset()} do not address its elements uniformly
     * across ND4J versions; copying a small view costs one native op).
     */
    private static INDArray dense(INDArray a) {
        return a.offset() == 0 && !a.isView() && isDenseC(a) ? a : a.dup('c');
    }

    /** Every element as a double, c-order (exact for every floating type and for INT32). */
    static double[] read(INDArray a) {
        int length = (int) a.length();
        if (length == 0) {
            return new double[0];
        }
        INDArray d = dense(a);
        if (d.dataType() == DataType.BOOL) {
            d = d.castTo(DataType.FLOAT);
        }
        DataBuffer b = d.data();
        if (b.length() == length) {
            // the whole buffer at once: several times faster than element reads for the [N] row scalars
            if (d.dataType() == DataType.DOUBLE) {
                return b.asDouble();
            }
            if (d.dataType() == DataType.FLOAT) {
                float[] f = b.asFloat();
                double[] out = new double[length];
                for (int i = 0; i < length; i++) {
                    out[i] = f[i];
                }
                return out;
            }
        }
        return b.getDoublesAt(0, length);
    }

    /** Every element of an integer array as a long, c-order. */
    static long[] readLongs(INDArray a) {
        int length = (int) a.length();
        long[] out = new long[length];
        if (length == 0) {
            return out;
        }
        INDArray d = dense(a);
        for (int i = 0; i < length; i++) {
            out[i] = d.data().getLong(i);
        }
        return out;
    }

    /**
     * {@code v} as the type holds it, to within rounding: float32 rounding for the single and half
     * types, bfloat16's own (to nearest, as {@link #write} rounds), and {@code +-inf} where
     * {@code v} overflows the type's range.
     */
    static double asType(double v, DataType type) {
        switch (type) {
            case DOUBLE:
                return v;
            case BFLOAT16:
                return roundToBfloat16((float) v);
            case HALF:
                return Math.abs(v) > 65504.0 ? v * Double.POSITIVE_INFINITY : (float) v;
            default:
                return (float) v;
        }
    }

    /** A new c-order array of the type holding {@code values}, in the current workspace if any. */
    static INDArray write(double[] values, DataType type, long... shape) {
        if (values.length == 0) {
            return Nd4j.create(type, shape);
        }
        if (type == DataType.DOUBLE) {
            return Nd4j.create(values, shape, type);
        }
        float[] f = new float[values.length];
        boolean bfloat16 = type == DataType.BFLOAT16;
        for (int i = 0; i < f.length; i++) {
            f[i] = bfloat16 ? roundToBfloat16((float) values[i]) : (float) values[i];
        }
        return Nd4j.create(f, shape, type);
    }

    /**
     * Writes {@code values} into {@code target}, a dense c-order float32 or float64 array of
     * {@code values.length} elements that owns its buffer (a {@link NativeCalls#scratch} array),
     * rounding to float32 for a float32 target.
     */
    static INDArray writeInto(double[] values, INDArray target) {
        if (target.length() != values.length || target.data().length() != values.length || !isDenseC(target)) {
            throw new IllegalArgumentException("target must be a dense array of " + values.length
                    + " elements with its own buffer, got shape " + java.util.Arrays.toString(target.shape()));
        }
        if (target.dataType() == DataType.DOUBLE) {
            target.data().setData(values);
        } else if (target.dataType() == DataType.FLOAT) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            target.data().setData(f);
        } else {
            throw new IllegalArgumentException("target must be FLOAT or DOUBLE, got " + target.dataType());
        }
        return target;
    }

    /**
     * The nearest bfloat16 (ties to even), as a float: ND4J's float to bfloat16 conversion
     * truncates, which would cost up to one unit in the last place.
     */
    static float roundToBfloat16(float v) {
        if (v != v) {
            return v;
        }
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
    }
}
