package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The DL4J adapter: reductions, shapes, activations, label types, threads and workspaces. */
class LossSoftmaxCrossEntropyTest {
    static final ActivationSoftmax SOFTMAX = new ActivationSoftmax();
    static final XentOptions ALL = XentOptions.builder().classWeights(new double[]{1, 2, 0.5}).labelSmoothing(0.1)
            .temperature(2).zLoss(1e-3).build();

    final Random rnd = new Random(21);
    final INDArray z = TestArrays.array(TestArrays.normal(rnd, 5, 3, 2), DataType.FLOAT);
    final INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 5, 3, 1.3), DataType.FLOAT);
    final INDArray mask = Nd4j.createFromArray(1f, 0f, 1f, 1f, 0.5f).reshape(5, 1);

    @Test
    void reductionsFollowDl4jConventions() {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        INDArray perExample = XentKernel.compute(z, y, mask, ALL, XentKernel.Output.LOSS).loss();
        INDArray scoreArray = loss.computeScoreArray(y, z, SOFTMAX, mask);
        assertArrayEquals(new long[]{5, 1}, scoreArray.shape());
        assertEquals(perExample.reshape(5, 1), scoreArray);
        double sum = perExample.castTo(DataType.DOUBLE).sumNumber().doubleValue();
        assertEquals(sum, loss.computeScore(y, z, SOFTMAX, mask, false), 1e-12);
        assertEquals(sum / 5, loss.computeScore(y, z, SOFTMAX, mask, true), 1e-12);   // N counts masked rows
        INDArray gradient = loss.computeGradient(y, z, SOFTMAX, mask);
        assertEquals(XentKernel.compute(z, y, mask, ALL, XentKernel.Output.GRADIENT).gradient(), gradient);
        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, z, SOFTMAX, mask, true);
        assertEquals(sum / 5, both.getFirst(), 1e-12);
        assertEquals(gradient, both.getSecond());
    }

    @Test
    void softmaxAndIdentityActivationsGiveTheSameResults() {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        assertEquals(loss.computeGradient(y, z, SOFTMAX, null), loss.computeGradient(y, z, new ActivationIdentity(), null));
        assertEquals(loss.computeScore(y, z, SOFTMAX, null, false),
                loss.computeScore(y, z, new ActivationIdentity(), null, false), 0.0);
    }

    @Test
    void otherActivationsAreRejectedByName() {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy();
        for (Runnable call : new Runnable[]{
                () -> loss.computeScore(y, z, new ActivationSigmoid(), null, false),
                () -> loss.computeScoreArray(y, z, new ActivationReLU(), null),
                () -> loss.computeGradient(y, z, new ActivationSigmoid(), null),
                () -> loss.computeGradientAndScore(y, z, new ActivationSigmoid(), null, false)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
            assertTrue(e.getMessage().contains("activation") && e.getMessage().contains("SOFTMAX or IDENTITY")
                    && (e.getMessage().contains("sigmoid") || e.getMessage().contains("relu")), e.getMessage());
        }
    }

    @Test
    void labelsOfAnotherTypeAreConvertedLikeDl4jLossesDo() {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        INDArray g = loss.computeGradient(y, z, SOFTMAX, null);
        assertEquals(g, loss.computeGradient(y.castTo(DataType.DOUBLE), z, SOFTMAX, null));
        INDArray zHalf = z.castTo(DataType.HALF);
        INDArray gHalf = loss.computeGradient(y, zHalf, SOFTMAX, null);     // float labels, half network
        assertEquals(DataType.HALF, gHalf.dataType());
        assertTrue(gHalf.castTo(DataType.FLOAT).equalsWithEps(loss.computeGradient(y, zHalf.castTo(DataType.FLOAT),
                SOFTMAX, null), 1e-2));
    }

    @Test
    void nameAndEquality() {
        assertEquals(new LossSoftmaxCrossEntropy(ALL), new LossSoftmaxCrossEntropy(ALL.toBuilder().build()));
        assertEquals(new LossSoftmaxCrossEntropy(), new LossSoftmaxCrossEntropy(null));
        assertTrue(new LossSoftmaxCrossEntropy(ALL).name().contains("temperature=2.0"));
    }

    @Test
    void oneInstanceSharedByThreadsGivesIdenticalResults() throws Exception {
        LossSoftmaxCrossEntropy shared = new LossSoftmaxCrossEntropy(ALL);
        int tasks = 16;
        List<INDArray[]> inputs = new ArrayList<>();
        List<INDArray> expectedGrad = new ArrayList<>();
        List<Double> expectedScore = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            INDArray zi = TestArrays.array(TestArrays.normal(rnd, 64, 3, 3), DataType.FLOAT);
            INDArray yi = TestArrays.array(TestArrays.softLabels(rnd, 64, 3, 1), DataType.FLOAT);
            inputs.add(new INDArray[]{zi, yi});
            expectedGrad.add(shared.computeGradient(yi, zi, SOFTMAX, null));
            expectedScore.add(shared.computeScore(yi, zi, SOFTMAX, null, false));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int rep = 0; rep < 10; rep++) {
                for (int i = 0; i < tasks; i++) {
                    int idx = i;
                    results.add(pool.submit(() -> {
                        INDArray[] in = inputs.get(idx);
                        Pair<Double, INDArray> r = shared.computeGradientAndScore(in[1], in[0], SOFTMAX, null, false);
                        return r.getSecond().equals(expectedGrad.get(idx))
                                && shared.computeGradient(in[1], in[0], SOFTMAX, null).equals(expectedGrad.get(idx))
                                && shared.computeScore(in[1], in[0], SOFTMAX, null, false) == expectedScore.get(idx);
                    }));
                }
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void worksInsideRecycledWorkspaces() {
        // Arrays kept across calls would fail with "outdated workspace pointer" here.
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        INDArray expected = loss.computeGradient(y, z, SOFTMAX, mask);
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP).build();
        for (int i = 0; i < 5; i++) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "XENT_TEST_WS")) {
                INDArray zi = z.dup();
                INDArray g = loss.computeGradient(y, zi, SOFTMAX, mask);
                double s = loss.computeScore(y, zi, SOFTMAX, mask, false);
                assertTrue(g.equals(expected) && Double.isFinite(s));
            }
        }
    }
}
