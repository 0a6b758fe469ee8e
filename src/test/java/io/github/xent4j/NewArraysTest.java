package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link NewArrays#uninitialized} makes the array that {@code Nd4j.createUninitialized(type,
 * shape, 'c')} makes: the same shape information (shape, strides, element-wise stride, order and
 * type flags), an own buffer of the right length, and the same workspace, inside one and outside;
 * and the same error where ND4J has none to make.
 */
class NewArraysTest {
    private static final WorkspaceConfiguration WS = WorkspaceConfiguration.builder().initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP).build();

    private static final long[][] SHAPES = {{1}, {7}, {128, 10}, {1, 1}, {3, 1}, {1, 5}, {2, 3, 4}, {0, 5}, {5, 0}, {}};
    private static final DataType[] TYPES = {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.BFLOAT16,
            DataType.BOOL, DataType.INT32};

    @Test
    void sameArrayAsCreateUninitializedOutsideWorkspaces() {
        for (DataType type : TYPES) {
            for (long[] shape : SHAPES) {
                check(type, shape, null);
            }
        }
    }

    @Test
    void sameArrayAsCreateUninitializedInsideAWorkspace() {
        for (int iteration = 0; iteration < 3; iteration++) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WS, "NEW_ARRAYS_TEST")) {
                for (DataType type : TYPES) {
                    for (long[] shape : SHAPES) {
                        check(type, shape, ws);
                    }
                }
            }
        }
    }

    private static void check(DataType type, long[] shape, MemoryWorkspace ws) {
        String what = type + " " + Arrays.toString(shape) + (ws == null ? "" : " in a workspace");
        INDArray expected;
        try {
            expected = Nd4j.createUninitialized(type, shape, 'c');
        } catch (IllegalArgumentException e) {
            // ND4J 1.0.0-M2.1 cannot make an empty array in a workspace: neither can NewArrays
            assertEquals(e.getMessage(), assertThrows(IllegalArgumentException.class,
                    () -> NewArrays.uninitialized(type, shape)).getMessage(), what);
            return;
        }
        INDArray a = NewArrays.uninitialized(type, shape);
        assertArrayEquals(expected.shapeInfoJava(), a.shapeInfoJava(), what + ": shape information");
        assertEquals(type, a.dataType(), what);
        assertEquals('c', a.ordering(), what);
        assertEquals(expected.isEmpty(), a.isEmpty(), what + ": empty");
        assertEquals(expected.isAttached(), a.isAttached(), what + ": attached");
        assertEquals(ws != null && !a.isEmpty(), a.isAttached(), what + ": in the current workspace");
        if (ws != null && a.isAttached()) {
            assertSame(ws, a.data().getParentWorkspace(), what + ": workspace");
        }
        assertFalse(a.isView(), what + ": view");
        assertEquals(0, a.offset(), what + ": offset");
        if (!a.isEmpty()) {
            assertEquals(a.length(), a.data().length(), what + ": buffer length");
            assertNotEquals(expected.data().address(), a.data().address(), what + ": an own buffer");
            if (type.isFPType()) {
                // every element is addressable and holds what is written
                INDArray values = Nd4j.linspace(DataType.DOUBLE, 1, a.length(), 1).reshape(shape).castTo(type);
                a.assign(values);
                assertEquals(values, a, what + ": values");
            }
        }
    }
}
