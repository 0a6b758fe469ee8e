package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.Tolerance;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SameDiff cross-entropy op against the float64 reference and against the DL4J front end
 * ({@link LossSoftmaxCrossEntropy}), for every option, reduction, label kind and data type.
 */
class SoftmaxCrossEntropyOpTest {
    static final double NI = Double.NEGATIVE_INFINITY;
    static final LossReduce[] REDUCTIONS = LossReduce.values();
    static final DataType[] TYPES = {DataType.DOUBLE, DataType.FLOAT, DataType.HALF, DataType.BFLOAT16};

    @Test
    void everyOptionEveryReductionEveryType() {
        Random rnd = new Random(1);
        int n = 5;
        int k = 6;
        double[] upstream = {1, -0.5, 2, 0.25, 3};
        for (DataType type : TYPES) {
            for (XentOptions o : KernelBackwardTest.options(k, rnd)) {
                INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 3), type);
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1.4), type);   // need not sum to 1
                double[][] yv = TestArrays.values(y);
                for (LossReduce r : REDUCTIONS) {
                    SdRun run = SdRun.run(z, y, null, o, r, upstream);
                    String what = type + " " + o + " " + r;
                    run.check(what, z, o, r, upstream, yv, null, null);
                    checkLabelsGradient(what, run, z, o, r, upstream, null, null);
                }
            }
        }
    }

    @Test
    void extremeInputs() {
        double[][] z = {
                {0, 1000, 0, 1},                 // confident mistake, gap 1000
                {1e4, 0, -1e4, 1e4 - 2},         // gap 1e4
                {1, NI, 2, 0},                   // -inf with label 0
                {1, NI, 2, 0},                   // -inf with a positive label: loss +inf, gradient finite
                {-1e4, -1e4 + 1, -1e4 + 3, -1e4}, // offset far from 0
        };
        double[][] y = {{1, 0, 0, 0}, {0.2, 0.3, 0.5, 0}, {0.5, 0, 0.5, 0}, {0.25, 0.25, 0.5, 0}, {0, 1, 0, 0.5}};
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            for (XentOptions o : new XentOptions[]{XentOptions.defaults(),
                    XentOptions.builder().labelSmoothing(0.1).temperature(2).zLoss(1e-4)
                            .classWeights(new double[]{1, 2, 0.5, 1}).build()}) {
                INDArray zi = TestArrays.array(z, type);
                INDArray yi = TestArrays.array(y, type);
                for (LossReduce r : REDUCTIONS) {
                    SdRun run = SdRun.run(zi, yi, null, o, r, null);
                    String what = "extreme " + type + " " + o + " " + r;
                    run.check(what, zi, o, r, null, y, null, null);
                    assertFalse(run.dz.isNaN().any() || run.dz.isInfinite().any(), what + ": gradient finite");
                    if (r == LossReduce.NONE) {
                        assertEquals(Double.POSITIVE_INFINITY, run.out.getDouble(3), 0.0, what);
                        assertEquals(1000.0, run.out.getDouble(0), o.isPlain() ? 1e-3 : 1e3, what);
                    } else {
                        assertEquals(Double.POSITIVE_INFINITY, run.out.getDouble(0), 0.0, what + ": +inf row makes the sum +inf");
                    }
                    // dL/dy is +inf on the -inf logits, finite elsewhere
                    assertEquals(Double.POSITIVE_INFINITY, run.dy.getDouble(2, 1), 0.0, what);
                    assertTrue(Double.isFinite(run.dy.getDouble(0, 1)), what);
                }
            }
        }
    }

    @Test
    void softLabelsOfAnotherTypeAreConvertedAndGetAGradientOfTheirType() {
        Random rnd = new Random(2);
        INDArray z = TestArrays.array(TestArrays.normal(rnd, 3, 4, 2), DataType.DOUBLE);
        INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 3, 4, 1), DataType.FLOAT);
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).build();
        SdRun run = SdRun.run(z, y, null, o, LossReduce.SUM, null);
        run.check("float labels, double logits", z, o, LossReduce.SUM, null, TestArrays.values(y), null, null);
        assertEquals(DataType.FLOAT, run.dy.dataType());
        // computed in float64 (the logits' type), returned in the labels' type
        assertEquals(XentKernel.labelsGradient(z, y, null, o).castTo(DataType.FLOAT), run.dy);
    }

    @Test
    void zeroUpstreamTimesInfiniteLabelGradientIsZero() {
        INDArray z = Nd4j.createFromArray(new double[][]{{1, NI, 2}, {1, NI, 2}});
        INDArray y = Nd4j.createFromArray(new double[][]{{0.5, 0, 0.5}, {0.5, 0, 0.5}});
        SdRun run = SdRun.run(z, y, null, XentOptions.defaults(), LossReduce.NONE, new double[]{0, 2});
        assertEquals(0.0, run.dy.getDouble(0, 1), 0.0);
        assertEquals(0.0, run.dy.getRow(0).sumNumber().doubleValue(), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, run.dy.getDouble(1, 1), 0.0);
        assertFalse(run.dy.isNaN().any());
    }

    @Test
    void classIdsOfEveryTypeAndShapeWithIgnoreIndex() {
        Random rnd = new Random(3);
        int n = 6;
        int k = 5;
        int[] ids = {0, 4, 2, 2, 1, 3};
        ids[3] = 7;                                                  // ignored (ignoreIndex 7)
        XentOptions o = XentOptions.builder().ignoreIndex(7).labelSmoothing(0.1).temperature(1.5)
                .classWeights(TestArrays.positiveWeights(rnd, k)).build();
        double[][] oneHot = new double[n][k];
        double[] rows = new double[n];
        for (int i = 0; i < n; i++) {
            if (ids[i] != 7) {
                oneHot[i][ids[i]] = 1;
                rows[i] = 1;
            }
        }
        for (DataType zt : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 2), zt);
            for (DataType idType : new DataType[]{DataType.INT32, DataType.INT64, zt}) {
                for (boolean column : new boolean[]{false, true}) {
                    INDArray y = Nd4j.createFromArray(ids).castTo(idType);
                    if (column) {
                        y = y.reshape(n, 1);
                    }
                    for (LossReduce r : REDUCTIONS) {
                        SdRun run = SdRun.run(z, y, null, o, r, null);
                        String what = "class ids " + zt + " " + idType + (column ? " [N,1] " : " [N] ") + r;
                        run.check(what, z, o, r, null, oneHot, rows, null);
                        if (run.dy != null) {
                            assertArrayEquals(y.shape(), run.dy.shape(), what);
                            assertEquals(0.0, run.dy.sumNumber().doubleValue(), 0.0, what + ": class ids get no gradient");
                        }
                    }
                }
            }
        }
    }

    @Test
    void masksPerExampleAndPerOutput() {
        Random rnd = new Random(4);
        int n = 5;
        int k = 4;
        double[][] z = TestArrays.normal(rnd, n, k, 2);
        double[][] y = TestArrays.softLabels(rnd, n, k, 1);
        z[1][0] = Double.NaN;                     // garbage in a masked row
        y[1][2] = -3;
        double[] m = {1, 0, 0.5, 1, 2};
        XentOptions o = XentOptions.builder().labelSmoothing(0.2).zLoss(1e-3).build();
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            INDArray zi = TestArrays.array(z, type);
            INDArray yi = TestArrays.array(y, type);
            for (INDArray mask : new INDArray[]{Nd4j.createFromArray(m).castTo(type),
                    Nd4j.createFromArray(m).castTo(type).reshape(n, 1)}) {
                for (LossReduce r : REDUCTIONS) {
                    SdRun run = SdRun.run(zi, yi, mask, o, r, new double[]{1, 2, 3, 4, 5});
                    run.check("per-example mask " + type + " " + r, zi, o, r, new double[]{1, 2, 3, 4, 5},
                            TestArrays.values(yi), m, null);
                }
            }
            double[][] avail = {{1, 1, 0, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 1, 1}, {1, 1, 1, 0}};
            double[][] z2 = TestArrays.normal(rnd, n, k, 2);
            z2[0][2] = Double.NaN;                // unavailable: never looked at
            INDArray zi2 = TestArrays.array(z2, type);
            INDArray yi2 = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), type);
            for (LossReduce r : REDUCTIONS) {
                SdRun run = SdRun.run(zi2, yi2, TestArrays.array(avail, type), o, r, null);
                run.check("per-output mask " + type + " " + r, zi2, o, r, null, TestArrays.values(yi2),
                        new double[]{1, 1, 0, 1, 1}, avail);
                checkLabelsGradient("per-output mask dy " + type + " " + r, run, zi2, o, r, null,
                        new double[]{1, 1, 0, 1, 1}, avail);
            }
        }
    }

    /** The SameDiff op and the DL4J loss run the same kernel: results are identical. */
    @Test
    void sameResultsAsTheDl4jFrontEnd() {
        Random rnd = new Random(6);
        int n = 7;
        int k = 5;
        for (DataType type : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            for (XentOptions o : KernelBackwardTest.options(k, rnd)) {
                INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 3), type);
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, k, 0.8), type);
                INDArray mask = Nd4j.createFromArray(1.0, 0.0, 1.0, 0.5, 1.0, 1.0, 2.0).castTo(type).reshape(n, 1);
                for (INDArray msk : new INDArray[]{null, mask}) {
                    LossSoftmaxCrossEntropy dl4j = new LossSoftmaxCrossEntropy(o);
                    INDArray dl4jGrad = dl4j.computeGradient(y, z, new ActivationSoftmax(), msk);
                    INDArray dl4jScores = dl4j.computeScoreArray(y, z, new ActivationIdentity(), msk);
                    double dl4jMean = dl4j.computeScore(y, z, new ActivationSoftmax(), msk, true);
                    double dl4jSum = dl4j.computeScore(y, z, new ActivationSoftmax(), msk, false);
                    SdRun none = SdRun.run(z, y, msk, o, LossReduce.NONE, null);
                    SdRun sum = SdRun.run(z, y, msk, o, LossReduce.SUM, null);
                    SdRun mean = SdRun.run(z, y, msk, o, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, null);
                    String what = type + " " + o + (msk == null ? "" : " masked");
                    assertEquals(dl4jScores.reshape(n), none.out, what + ": per-example losses");
                    assertEquals(dl4jGrad, none.dz, what + ": gradient (NONE, summed)");
                    assertEquals(dl4jGrad, sum.dz, what + ": gradient (SUM)");
                    Tolerance tol = Tolerance.of(type, k);
                    tol.check(what + " SUM = computeScore", sum.out.getDouble(0), dl4jSum, Math.abs(dl4jSum));
                    tol.check(what + " MEAN = computeScore(average)", mean.out.getDouble(0), dl4jMean, Math.abs(dl4jMean));
                    INDArray meanGrad = mean.dz;
                    INDArray expected = dl4jGrad.div(n);
                    double[][] a = TestArrays.values(meanGrad);
                    double[][] e = TestArrays.values(expected);
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < k; j++) {
                            tol.check(what + " MEAN gradient", a[i][j], e[i][j], 1.0 / n);
                        }
                    }
                }
            }
        }
    }

    /**
     * In the gradient graph the forward op computes the logits' gradient with the loss and its
     * backward op takes it: one kernel pass per step, and the same numbers as the kernel's own
     * GRADIENT pass, on every kernel path.
     */
    @Test
    void theForwardOpSharesItsGradientWithTheBackwardOp() {
        Random rnd = new Random(9);
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).build();
        for (int[] nk : new int[][]{{8, 5}, {64, 400}}) {
            INDArray z = TestArrays.array(TestArrays.normal(rnd, nk[0], nk[1], 3), DataType.FLOAT);
            INDArray y = TestArrays.array(TestArrays.softLabels(rnd, nk[0], nk[1], 1), DataType.FLOAT);
            INDArray expected = XentKernel.compute(z, y, null, o, XentKernel.Output.GRADIENT).gradient();
            for (LossReduce r : new LossReduce[]{LossReduce.NONE, LossReduce.SUM}) {
                long recomputedBefore = SoftmaxCrossEntropyBpOp.RECOMPUTED.get();
                SdRun run = SdRun.run(z, y, null, o, r, null);
                assertEquals(recomputedBefore, SoftmaxCrossEntropyBpOp.RECOMPUTED.get(),
                        nk[0] + "x" + nk[1] + " " + r + ": the backward op ran the kernel again");
                assertEquals(expected, run.dz, nk[0] + "x" + nk[1] + " " + r);
            }
        }
    }

    /**
     * The logits' gradient leaves the op without a copy: the forward op's buffer becomes the
     * backward op's output, and the array SameDiff allocated becomes the buffer. So no call may
     * write an array that an earlier call returned: gradients kept from earlier calls keep their
     * values, a closed one does not disturb the next call, and the means (scaled in the buffer)
     * are handed over too.
     */
    @Test
    void returnedGradientsAreNeverWrittenAgain() {
        Random rnd = new Random(10);
        int n = 16;
        int k = 70;
        INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 3), DataType.FLOAT);
        for (LossReduce r : new LossReduce[]{LossReduce.SUM, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT}) {
            SameDiff sd = SameDiff.create();
            SDVariable zv = sd.var("z", z.dup());
            SDVariable yv = sd.placeHolder("y", DataType.FLOAT, -1, k);
            XentSameDiff.softmaxCrossEntropy(sd, "loss", zv, yv, XentOptions.defaults(), r);
            long handedOverBefore = JavaKernelOp.OUTPUTS_HANDED_OVER.get();
            List<INDArray> kept = new ArrayList<>();
            List<INDArray> expected = new ArrayList<>();
            Set<Long> addresses = new HashSet<>();
            int calls = 5;
            for (int call = 0; call < calls; call++) {
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, n, k, 1), DataType.FLOAT);
                INDArray g = sd.calculateGradients(Collections.singletonMap("y", y), "z").get("z");
                INDArray e = XentKernel.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.GRADIENT).gradient();
                if (r != LossReduce.SUM) {
                    e = e.div(n);
                }
                assertEquals(e, g, r + " call " + call);
                if (call == 1 && g.closeable()) {
                    g.close();
                } else {
                    kept.add(g);
                    expected.add(e);
                    assertTrue(addresses.add(g.data().address()), r + " call " + call + " returned a buffer returned before");
                }
            }
            assertEquals(handedOverBefore + calls, JavaKernelOp.OUTPUTS_HANDED_OVER.get(),
                    r + ": every call's gradient should have become the output without a copy");
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(expected.get(i), kept.get(i), r + ": kept gradient " + i + " was overwritten");
            }
        }
    }

    /**
     * Two threads computing gradients of one graph at once: each has its own shared gradient and
     * buffer, so every result is its own labels' gradient and no kept result is overwritten.
     */
    @Test
    void twoThreadsShareOneGraph() throws Exception {
        Random rnd = new Random(11);
        int n = 32;
        int k = 100;
        INDArray z = TestArrays.array(TestArrays.normal(rnd, n, k, 3), DataType.FLOAT);
        SameDiff sd = SameDiff.create();
        SDVariable zv = sd.var("z", z.dup());
        SDVariable yv = sd.placeHolder("y", DataType.FLOAT, -1, k);
        XentSameDiff.softmaxCrossEntropy(sd, "loss", zv, yv, XentOptions.defaults(), LossReduce.SUM);
        sd.calculateGradients(Collections.singletonMap("y", Nd4j.rand(DataType.FLOAT, n, k)), "z");  // builds the gradient graph once
        long handedOverBefore = JavaKernelOp.OUTPUTS_HANDED_OVER.get();
        int calls = 50;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = 100 + t;
                results.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    List<INDArray> kept = new ArrayList<>();
                    List<INDArray> expected = new ArrayList<>();
                    for (int call = 0; call < calls; call++) {
                        INDArray y = TestArrays.array(TestArrays.softLabels(r, n, k, 0.5 + r.nextDouble()), DataType.FLOAT);
                        kept.add(sd.calculateGradients(Collections.singletonMap("y", y), "z").get("z"));
                        expected.add(XentKernel.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.GRADIENT)
                                .gradient());
                    }
                    for (int i = 0; i < calls; i++) {
                        if (!expected.get(i).equals(kept.get(i))) {
                            return "thread seeded " + seed + ", call " + i + ": wrong or overwritten gradient";
                        }
                    }
                    return null;
                }));
            }
            for (Future<String> f : results) {
                String problem = f.get(60, TimeUnit.SECONDS);
                assertTrue(problem == null, problem);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(handedOverBefore + 2 * calls, JavaKernelOp.OUTPUTS_HANDED_OVER.get());
    }

    @Test
    void kernelResultEqualsOpOutputForLargeInputs() {
        // above the kernel's fused-path threshold the lean path runs; the op must still be the kernel
        Random rnd = new Random(8);
        INDArray z = TestArrays.array(TestArrays.normal(rnd, 64, 400, 4), DataType.FLOAT);
        INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 64, 400, 1), DataType.FLOAT);
        XentOptions o = XentOptions.builder().temperature(2).build();
        SdRun run = SdRun.run(z, y, null, o, LossReduce.NONE, null);
        XentKernel.Result r = XentKernel.compute(z, y, null, o, XentKernel.Output.BOTH);
        assertEquals(r.loss(), run.out);
        assertEquals(r.gradient(), run.dz);
    }

    private static void checkLabelsGradient(String what, SdRun run, INDArray z, XentOptions o, LossReduce r,
                                            double[] upstream, double[] rows, double[][] avail) {
        int n = (int) z.size(0);
        int k = (int) z.size(1);
        Tolerance tol = Tolerance.of(z.dataType(), k);
        double[][] zv = TestArrays.values(z);
        double[][] dy = TestArrays.values(run.dy);
        for (int i = 0; i < n; i++) {
            double f = r == LossReduce.NONE ? (upstream == null ? 1 : upstream[i]) : r == LossReduce.SUM ? 1 : 1.0 / n;
            double rw = rows == null ? 1 : rows[i];
            if (rw == 0) {
                assertEquals(0.0, run.dy.getRow(i).castTo(DataType.DOUBLE).norm1Number().doubleValue(), 0.0,
                        what + " masked row " + i);
                continue;
            }
            double[] ref = SliceReference.labelsGradientRow(zv[i], avail == null ? null : avail[i], o.classWeights(),
                    o.labelSmoothing(), o.temperature());
            for (int j = 0; j < k; j++) {
                if (avail != null && avail[i][j] == 0) {
                    assertEquals(0.0, dy[i][j], 0.0, what + " unavailable class");
                    continue;
                }
                tol.check(what + " dy[" + i + "," + j + "]", dy[i][j], f * rw * ref[j], Math.abs(f * rw) * ref[k]);
            }
        }
    }
}
