package io.github.xent4j.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The benchmarks' inputs (seeded, float32) and the workspace that DL4J-style calls run in. */
final class Inputs {
    /** A recycled workspace like the one DL4J runs a loss in while training. */
    static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0).policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP)
            .build();

    /** Every this-many-th row of {@link #perExampleMask} is masked out (0), the others are 1. */
    static final int MASKED_EVERY = 4;

    private Inputs() {
    }

    /** {@code "NxK"} as {@code {N, K}}. */
    static int[] shape(String nk) {
        String[] p = nk.split("x");
        if (p.length != 2) {
            throw new IllegalArgumentException("shape must be NxK, got '" + nk + "'");
        }
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    /** Logits {@code 3 * N(0, 1)}, seeded. */
    static INDArray logits(int n, int k) {
        Nd4j.getRandom().setSeed(42);
        return Nd4j.randn(DataType.FLOAT, n, k).muli(3);
    }

    /** Dense soft labels: every row is a softmax of random values, so it sums to 1. */
    static INDArray softLabels(int n, int k) {
        Nd4j.getRandom().setSeed(43);
        return Nd4j.nn().softmax(Nd4j.randn(DataType.FLOAT, n, k), 1);
    }

    /**
     * A per-example mask {@code [N, 1]} as {@code RnnOutputLayer} passes it for padded time steps:
     * 0 on every {@value #MASKED_EVERY}th row, 1 elsewhere.
     */
    static INDArray perExampleMask(int n) {
        INDArray mask = Nd4j.ones(DataType.FLOAT, n, 1);
        for (int i = 0; i < n; i += MASKED_EVERY) {
            mask.putScalar(i, 0, 0.0);
        }
        return mask;
    }

    /**
     * Sets ND4J's thread counts. libnd4j's OpenMP regions (its {@code SoftMax}, for one) ignore
     * them and follow {@code OMP_NUM_THREADS}, so the fork must have been started with the same
     * count ({@link RunBenchmarks} does); otherwise this fails rather than mislabel the result.
     */
    static void threads(int threads) {
        String omp = System.getenv("OMP_NUM_THREADS");
        if (!Integer.toString(threads).equals(omp)) {
            throw new IllegalStateException("benchmark parameter threads=" + threads + ", but OMP_NUM_THREADS is "
                    + omp + " in this JVM (run it through RunBenchmarks, or set OMP_NUM_THREADS=" + threads + ")");
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
    }

    /** Frees the off-heap memory of arrays the caller is done with (those that can be closed). */
    static void closeAll(java.util.Collection<INDArray> arrays) {
        for (INDArray a : arrays) {
            if (a.closeable()) {
                a.close();
            }
        }
    }

    static MemoryWorkspace enterWorkspace() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "XENT_BENCH");
    }
}
