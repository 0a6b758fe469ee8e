package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.ref.WeakReference;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reused calls of the ND4J path against float64 sums computed here, for small and large
 * inputs, views and f-order arrays; and the properties that make reuse safe: a call keeps no
 * array, scratch lives outside workspaces, and each thread has its own calls.
 */
class NativeCallsTest {
    private final Random rnd = new Random(20261202);

    @Test
    void rowOperationsMatchFloat64() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            for (int[] nk : new int[][]{{3, 5}, {128, 10}, {300, 400}}) {   // the last is above the scratch limit
                int n = nk[0];
                int k = nk[1];
                double[][] a = TestArrays.normal(rnd, n, k, 3);
                double[][] b = TestArrays.normal(rnd, n, k, 1);
                // an f-order copy and a view with gaps: the calls read any layout
                INDArray x = TestArrays.array(a, type).dup('f');
                INDArray yBig = Nd4j.create(type, n, k + 3);
                INDArray y = yBig.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(1, k + 1)).assign(TestArrays.array(b, type));
                NativeCalls calls = NativeCalls.get();
                double[] sum = HostValues.read(calls.rowSum(x, Nd4j.create(type, n)));
                double[] max = HostValues.read(calls.rowMax(x, Nd4j.create(type, n, 1)));
                double[] min = HostValues.read(calls.rowMin(x, Nd4j.create(type, n)));
                double[] dot = HostValues.read(calls.rowDot(x, y, Nd4j.create(type, n)));
                INDArray col = TestArrays.array(column(b), type);
                double[] diff = HostValues.read(calls.subtract(x, col, Nd4j.create(type, n, k)));
                double[] prod = HostValues.read(calls.multiply(x, col, Nd4j.create(type, n, k)));
                double tol = type == DataType.FLOAT ? 1e-5 : 1e-12;
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    double d = 0;
                    double sa = 0;
                    double hi = Double.NEGATIVE_INFINITY;
                    double lo = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        double av = type == DataType.FLOAT ? (float) a[i][j] : a[i][j];
                        double bv = type == DataType.FLOAT ? (float) b[i][j] : b[i][j];
                        s += av;
                        sa += Math.abs(av);
                        d += av * bv;
                        hi = Math.max(hi, av);
                        lo = Math.min(lo, av);
                        double bc = type == DataType.FLOAT ? (float) b[i][0] : b[i][0];
                        assertEquals(av - bc, diff[i * k + j], tol * (1 + Math.abs(av)), "subtract");
                        assertEquals(av * bc, prod[i * k + j], tol * (1 + Math.abs(av * bc)), "multiply");
                    }
                    assertEquals(s, sum[i], tol * sa, type + " " + n + "x" + k + " row sum " + i);
                    assertEquals(hi, max[i], 0.0, "row max " + i);
                    assertEquals(lo, min[i], 0.0, "row min " + i);
                    assertEquals(d, dot[i], tol * (1 + 3 * sa), "row dot " + i);
                }
            }
        }
    }

    private static double[][] column(double[][] b) {
        double[][] c = new double[b.length][1];
        for (int i = 0; i < b.length; i++) {
            c[i][0] = b[i][0];
        }
        return c;
    }

    @Test
    void aCallKeepsNoReferenceToItsArrays() throws InterruptedException {
        INDArray x = Nd4j.rand(DataType.FLOAT, 64, 7);
        NativeCalls.get().rowSum(x, Nd4j.create(DataType.FLOAT, 64));
        NativeCalls.get().subtract(x, Nd4j.create(DataType.FLOAT, 64, 1), Nd4j.create(DataType.FLOAT, 64, 7));
        WeakReference<INDArray> ref = new WeakReference<>(x);
        x = null;
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "a reused context still holds the input array");
    }

    @Test
    void scratchLivesOutsideWorkspacesAndIsReused() {
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP).build();
        INDArray first;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "XENT_SCRATCH_TEST")) {
            first = NativeCalls.get().scratch(NativeCalls.Scratch.DOT, DataType.FLOAT, 17);
            assertFalse(first.isAttached(), "scratch must not be a workspace array");
        }
        assertSame(first, NativeCalls.get().scratch(NativeCalls.Scratch.DOT, DataType.FLOAT, 17));
        assertNotSame(first, NativeCalls.get().scratch(NativeCalls.Scratch.DOT, DataType.DOUBLE, 17));
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "XENT_SCRATCH_TEST")) {
            // above the limit: an ordinary array of the caller's workspace
            INDArray big = NativeCalls.get().scratch(NativeCalls.Scratch.VALUES, DataType.FLOAT, 1,
                    NativeCalls.SCRATCH_LIMIT + 1);
            assertEquals(true, big.isAttached());
        }
    }

    @Test
    void eachThreadHasItsOwnCalls() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            NativeCalls other = pool.submit(NativeCalls::get).get();
            assertNotSame(NativeCalls.get(), other);
            assertSame(other, pool.submit(NativeCalls::get).get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writeIntoRoundsToTheTargetType() {
        double[] v = {1.0 / 3, -2.5, 1e-40};
        INDArray f = NativeCalls.get().scratch(NativeCalls.Scratch.COEFFICIENT, DataType.FLOAT, 3, 1);
        assertArrayEquals(new double[]{(float) (1.0 / 3), -2.5, (float) 1e-40}, HostValues.read(HostValues.writeInto(v, f)));
        INDArray d = NativeCalls.get().scratch(NativeCalls.Scratch.COEFFICIENT, DataType.DOUBLE, 3, 1);
        assertArrayEquals(v, HostValues.read(HostValues.writeInto(v, d)));
    }
}
