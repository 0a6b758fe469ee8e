package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Extreme logits, -inf, masks and class ids, each against the float64 reference. */
@ParameterizedClass(name = "{0}")
@MethodSource("io.github.xent4j.KernelVariants#paths")
class XentKernelEdgeCasesTest {
    /** The path under test; the whole class runs once per {@link KernelVariants} entry. */
    @Parameter
    KernelPath path;

    static final double NEG_INF = Double.NEGATIVE_INFINITY;
    static final double NAN = Double.NaN;

    static final String[] OPTIONS = OptionSets.NAMES;

    static XentOptions options(String name) {
        return OptionSets.of(name, 3, new Random(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "weights", "smoothing", "temperature", "zloss", "all"})
    void hugeGapsAndOffsetsInFloat32(String optionSet) {
        double[][] z = {
                {0, 1000, 0},
                {1e4, 0, -1e4},
                {1e4 + 1, 1e4, 1e4 - 2},      // large offset, small differences: needs the shift first
                {-1e4 - 1, -1e4, -1e4 + 3},
                {1e30, -1e30, 0},
                {1, 2, 3}};
        double[][] y = {{1, 0, 0}, {0.2, 0.3, 0.5}, {0.5, 0.3, 0.2}, {0.6, 0, 0.9}, {0, 1, 0}, {0.5, 0.2, 0}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        KernelChecks.check(path, logits, labels, null, options(optionSet), TestArrays.values(labels), null, null);
    }

    @Test
    void gapOf1000CostsItsTrueLoss() {
        INDArray logits = Nd4j.createFromArray(new float[][]{{0, 1000, 0}});
        INDArray labels = Nd4j.createFromArray(new float[][]{{1, 0, 0}});
        XentKernel.Result r = path.compute(logits, labels, null, XentOptions.defaults(), XentKernel.Output.BOTH);
        assertEquals(1000.0, r.loss().getDouble(0), 1e-3);
        assertEquals(-1.0, r.gradient().getDouble(0, 0), 1e-6);
        assertEquals(1.0, r.gradient().getDouble(0, 1), 1e-6);
        assertEquals(0.0, r.gradient().getDouble(0, 2), 1e-6);
    }

    @Test
    void extremeButRepresentableGapsInFloat64() {
        double[][] z = {{1e300, -1e300}, {1e5, -1e5}};
        double[][] y = {{0, 1}, {0.25, 0.75}};
        KernelChecks.check(path, TestArrays.array(z, DataType.DOUBLE), TestArrays.array(y, DataType.DOUBLE), null,
                XentOptions.defaults(), y, null, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "weights", "smoothing", "temperature", "zloss", "all"})
    void negativeInfinityLogits(String optionSet) {
        double[][] z = {
                {NEG_INF, 1, 2},          // zero label on -inf: contributes nothing (unless smoothing)
                {NEG_INF, 1, 2},          // positive label on -inf: loss +inf, gradient finite
                {NEG_INF, NEG_INF, 5},    // only one finite class
                {0.5, -1, 2}};            // an ordinary row in the same batch
        double[][] y = {{0, 0.5, 0.5}, {0.1, 0.4, 0.5}, {0, 0, 1}, {0.3, 0.3, 0.4}};
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray logits = TestArrays.array(z, type);
            INDArray labels = TestArrays.array(y, type);
            KernelChecks.check(path, logits, labels, null, options(optionSet), TestArrays.values(labels), null, null);
        }
    }

    @Test
    void positiveLabelOnNegativeInfinityGivesInfiniteLossAndFiniteGradient() {
        INDArray logits = Nd4j.createFromArray(new float[][]{{Float.NEGATIVE_INFINITY, 1, 2}, {0, 0, 0}});
        INDArray labels = Nd4j.createFromArray(new float[][]{{0.1f, 0.4f, 0.5f}, {1, 0, 0}});
        XentKernel.Result r = path.compute(logits, labels, null, XentOptions.defaults(), XentKernel.Output.BOTH);
        assertEquals(Double.POSITIVE_INFINITY, r.loss().getDouble(0));
        assertEquals(Math.log(3), r.loss().getDouble(1), 1e-6);
        assertEquals(-0.1, r.gradient().getDouble(0, 0), 1e-7);
        assertTrue(Double.isFinite(r.gradient().sumNumber().doubleValue()));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "HALF", "BFLOAT16"})
    void perExampleMaskZeroesGarbageRows(DataType type) {
        double[][] z = {{1, 2, 3}, {NAN, Double.POSITIVE_INFINITY, 0}, {0.5, -1, 2}, {NEG_INF, NEG_INF, NEG_INF}, {3, 1, 0}};
        double[][] y = {{0.2, 0.3, 0.5}, {NAN, -1, Double.POSITIVE_INFINITY}, {1, 0, 0}, {0.3, 0.3, 0.4}, {0, 0.5, 1}};
        double[] m = {1, 0, 0.5, 0, 2};
        INDArray logits = TestArrays.array(z, type);
        INDArray labels = TestArrays.array(y, type);
        double[][] ref = TestArrays.values(labels);
        for (INDArray mask : new INDArray[]{Nd4j.createFromArray(m).reshape(5, 1).castTo(type), Nd4j.createFromArray(m)}) {
            for (String o : OPTIONS) {
                KernelChecks.check(path, logits, labels, mask, options(o), ref, m, null);
            }
        }
    }

    @Test
    void perOutputMaskRemovesClasses() {
        double[][] z = {{1, NAN, 3}, {0.5, -1, 2}, {NAN, NAN, NAN}, {1000, 0, -1000}};
        double[][] y = {{0.2, NAN, 0.5}, {1, 0, 0}, {NAN, -1, 0.3}, {0, 0.5, 0.5}};
        double[][] avail = {{1, 0, 1}, {1, 1, 1}, {0, 0, 0}, {0, 1, 1}};
        double[] rows = {1, 1, 0, 1};
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.DOUBLE}) {
            INDArray logits = TestArrays.array(z, type);
            INDArray labels = TestArrays.array(y, type);
            for (String o : OPTIONS) {
                KernelChecks.check(path, logits, labels, TestArrays.array(avail, type), options(o), TestArrays.values(labels),
                        rows, avail);
            }
        }
    }

    @Test
    void perOutputMaskEqualsMinusInfinityLogitsWithZeroLabels() {
        Random rnd = new Random(5);
        double[][] z = TestArrays.normal(rnd, 6, 4, 2);
        double[][] y = TestArrays.softLabels(rnd, 6, 4, 1);
        double[][] avail = {{1, 1, 0, 1}, {0, 1, 1, 1}, {1, 1, 1, 1}, {1, 0, 0, 1}, {0, 0, 1, 0}, {1, 1, 1, 0}};
        double[][] zInf = new double[6][4];
        double[][] yZero = new double[6][4];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 4; j++) {
                zInf[i][j] = avail[i][j] == 0 ? NEG_INF : z[i][j];
                yZero[i][j] = avail[i][j] == 0 ? 0 : y[i][j];
            }
        }
        XentOptions o = XentOptions.builder().classWeights(new double[]{1, 2, 0.5, 1}).temperature(2).zLoss(0.01).build();
        XentKernel.Result masked = path.compute(TestArrays.array(z, DataType.DOUBLE),
                TestArrays.array(y, DataType.DOUBLE), TestArrays.array(avail, DataType.DOUBLE), o, XentKernel.Output.BOTH);
        XentKernel.Result inf = path.compute(TestArrays.array(zInf, DataType.DOUBLE),
                TestArrays.array(yZero, DataType.DOUBLE), null, o, XentKernel.Output.BOTH);
        assertTrue(masked.loss().equalsWithEps(inf.loss(), 1e-12), masked.loss() + " vs " + inf.loss());
        assertTrue(masked.gradient().equalsWithEps(inf.gradient(), 1e-12));
    }

    @Test
    void classIdsOfEveryTypeAndShape() {
        Random rnd = new Random(9);
        int n = 8;
        int k = 5;
        int[] ids = TestArrays.classIds(rnd, n, k);
        ids[3] = 2;
        INDArray logits = TestArrays.array(TestArrays.normal(rnd, n, k, 3), DataType.FLOAT);
        INDArray[] labelForms = {
                Nd4j.createFromArray(ids).reshape(n, 1),
                Nd4j.createFromArray(ids).castTo(DataType.INT64),
                Nd4j.createFromArray(ids).reshape(n, 1).castTo(DataType.FLOAT),
                Nd4j.createFromArray(ids).castTo(DataType.DOUBLE)};
        for (INDArray labels : labelForms) {
            for (String o : OPTIONS) {
                KernelChecks.check(path, logits, labels, null, OptionSets.of(o, k, new Random(1)),
                        TestArrays.oneHot(ids, k), null, null);
            }
        }
    }

    @Test
    void ignoreIndexRowsAndMaskedRowsCountForNothing() {
        int k = 4;
        double[][] z = {{1, 2, 3, 4}, {NAN, 0, 0, 0}, {0.5, 0.1, -2, 1}, {9, 9, 9, NAN}, {1, 1, 1, 1}};
        double[] ids = {2, 7, 0, -3.5, 3};          // row 1: ignoreIndex 7; row 3: masked garbage
        double[] mask = {1, 1, 0.5, 0, 1};
        int[] idsForRef = {2, 0, 0, 0, 3};
        double[] rowWeights = {1, 0, 0.5, 0, 1};
        XentOptions o = XentOptions.builder().ignoreIndex(7).labelSmoothing(0.1).build();
        KernelChecks.check(path, TestArrays.array(z, DataType.FLOAT), Nd4j.createFromArray(ids).reshape(5, 1),
                Nd4j.createFromArray(mask).reshape(5, 1), o, TestArrays.oneHot(idsForRef, k), rowWeights, null);
    }

    /**
     * A weighted label below float32's normal range (here {@code 0.00825 * 2.3e-39 = 1.9e-41}) on a
     * logit far below the maximum: the loss ({@code 1.9e-37}) is a normal float32 and must be
     * accurate to float32's tolerance, although {@code w y} in float32 would be rounded to a
     * multiple of 2^-149 (3.5e-5 relative).
     */
    @Test
    void tinyWeightedLabelsOnLargeGapsInFloat32() {
        double[][] z = {{6.036352157592773, 10023.181640625, 0}, {1, 2, 3}};
        double[][] y = {{2.3000002149425736e-39, 0, 0}, {0, 0, 3e-41}};
        INDArray logits = TestArrays.array(z, DataType.FLOAT);
        INDArray labels = TestArrays.array(y, DataType.FLOAT);
        XentOptions o = XentOptions.builder().classWeights(new double[]{0.008249092188418293, 1, 0.25}).build();
        KernelChecks.check(path, logits, labels, null, o, TestArrays.values(labels), null, null);
    }

    /**
     * {@code logSumExp} of slices whose result is tiny, e.g. {@code [0, -17]}:
     * {@code log1p(e^-17) = 4.14e-8}, where {@code log} of the float32 sum {@code 1 + 4e-8} would
     * give 0. Each result is checked against float64 to the type's relative tolerance, along the
     * last dimension, along the first and with a third dimension.
     */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void logSumExpOfTinyResultsIsAccurate(DataType type) {
        double gap = type == DataType.DOUBLE ? 40 : 17;
        double[][] x = {
                {0, -gap, -2 * gap},
                {-gap, 0, NEG_INF},
                {-1e4 - gap, -1e4, -1e4 - 3 * gap},     // the offset cancels in u - m, not in m + log sum
                {NEG_INF, NEG_INF, NEG_INF},
                {2, 2, -gap},                           // two maxima: log(2 + e^-gap)
                {1, -3, 0.5}};
        INDArray a = TestArrays.array(x, type);
        double[] expected = new double[x.length];
        double[] seen = new double[3];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < 3; j++) {
                seen[j] = a.getDouble(i, j);
            }
            expected[i] = logSumExpInDouble(seen);
        }
        double rtol = Tolerance.of(type, 3).withMargin().rtol;
        INDArray[] results = {
                path.logSumExp(a, 1, false),
                path.logSumExp(a, -1, true).reshape(x.length),
                path.logSumExp(a.transpose().dup('c'), 0, false),
                path.logSumExp(a.reshape(2, 3, 3), 2, false).reshape(x.length)};
        for (int r = 0; r < results.length; r++) {
            double[] got = TestArrays.vector(results[r]);
            for (int i = 0; i < x.length; i++) {
                String what = path + ": form " + r + ", slice " + i;
                if (Double.isInfinite(expected[i])) {
                    assertEquals(expected[i], got[i], what);
                } else {
                    assertEquals(expected[i], got[i], rtol * Math.abs(expected[i]), what);
                }
            }
        }
    }

    /** {@code m + log1p(sum of exp(x - m) over the non-maximal entries + count of maxima - 1)}. */
    private static double logSumExpInDouble(double[] x) {
        double m = NEG_INF;
        for (double v : x) {
            m = Math.max(m, v);
        }
        if (m == NEG_INF) {
            return NEG_INF;
        }
        double rest = 0;
        int maxima = 0;
        for (double v : x) {
            if (v == m) {
                maxima++;
            } else {
                rest += Math.exp(v - m);
            }
        }
        return m + Math.log1p(rest + (maxima - 1));
    }

    /**
     * A bfloat16 loss beyond bfloat16's range (1.003 * 3.3895e38 = 3.3997e38, above the 3.3961e38
     * where rounding to nearest overflows, below float32's largest value) is returned as
     * {@code +inf}, and the loss sum, the sum of the losses as returned, is {@code +inf} too.
     */
    @Test
    void bfloat16LossBeyondItsRangeIsInfiniteInTheSumToo() {
        INDArray logits = Nd4j.createFromArray(new float[][]{{0, -3.3895313892515355e38f}}).castTo(DataType.BFLOAT16);
        INDArray labels = Nd4j.createFromArray(new float[][]{{0, 1}}).castTo(DataType.BFLOAT16);
        INDArray mask = Nd4j.createFromArray(new double[]{1.003});
        XentKernel.Result r = path.compute(logits, labels, mask, XentOptions.defaults(), XentKernel.Output.BOTH);
        assertEquals(Double.POSITIVE_INFINITY, r.loss().getDouble(0), path + ": loss");
        assertEquals(r.loss().getDouble(0), r.lossSum(), 0.0, path + ": loss sum");
    }

    /**
     * Below bfloat16's smallest normal number its values are multiples of 2^-133, so a loss of
     * 21.49 such spacings comes back as 21 of them, in the loss and in the loss sum: 2.3% from the
     * true value, which the tolerance allows because below {@code N_min} it is measured against
     * {@code N_min}.
     */
    @Test
    void bfloat16LossBelowItsNormalRangeIsTheNearestSubnormal() {
        double spacing = 0x1p-133;
        INDArray logits = Nd4j.createFromArray(new float[][]{{0, 0}}).castTo(DataType.BFLOAT16);
        INDArray labels = Nd4j.createFromArray(new float[][]{{(float) (31 * spacing), 0}}).castTo(DataType.BFLOAT16);
        assertEquals(31 * spacing, labels.getDouble(0, 0), 0.0, "the label is exact in bfloat16");
        XentKernel.Result r = path.compute(logits, labels, null, XentOptions.defaults(), XentKernel.Output.BOTH);
        double nearest = Math.rint(31 * Math.log(2)) * spacing;
        assertEquals(nearest, r.loss().getDouble(0), 0.0, path + ": loss");
        assertEquals(nearest, r.lossSum(), 0.0, path + ": loss sum");
        Tolerance.of(DataType.BFLOAT16, 2).check(path + ": loss sum", r.lossSum(), 31 * spacing * Math.log(2), 0);
    }

    /**
     * A masked row's gradient is exactly 0 even where {@code t * w y'} of its labels overflows
     * the compute type (float32 labels of 3e38 at temperature 3): the row is masked, so nothing
     * of it may reach the result, not even as {@code 0 * inf = NaN}.
     */
    @Test
    void maskedRowsWithLabelsThatOverflowTimesTemperatureAreZero() {
        INDArray logits = Nd4j.createFromArray(new float[][]{{1, 2, 0}, {0.5f, -1, 2}});
        INDArray labels = Nd4j.createFromArray(new float[][]{{0.2f, 0.3f, 0.5f}, {3e38f, 0, 1e38f}});
        INDArray mask = Nd4j.createFromArray(new float[]{1, 0}).reshape(2, 1);
        XentOptions o = XentOptions.builder().temperature(3.16).build();
        XentKernel.Result r = path.compute(logits, labels, mask, o, XentKernel.Output.BOTH);
        XentKernel.Result first = path.compute(logits.getRow(0, true), labels.getRow(0, true), null, o,
                XentKernel.Output.BOTH);
        for (int c = 0; c < 3; c++) {
            assertEquals(0.0, r.gradient().getDouble(1, c), 0.0, path + ": masked row, class " + c);
            // the masked row's label sum overflows float32, which sends the label sums to float64:
            // row 0 may then differ from its own float32 computation in the last bits
            double want = first.gradient().getDouble(0, c);
            assertEquals(want, r.gradient().getDouble(0, c), 4 * Math.ulp((float) want), path + ": row 0, class " + c);
        }
        assertEquals(0.0, r.loss().getDouble(1), 0.0, path + ": masked row's loss");
    }

    /**
     * Copies (of views, of another type) that a path makes of its inputs stay allocated while it
     * reads them: calls after the JIT has compiled the path, with garbage collections (which let
     * ND4J free unreachable arrays) running all the while, give the first call's values exactly.
     */
    @Test
    void copiedInputsStayAllocatedWhileTheyAreRead() throws InterruptedException {
        Random rnd = new Random(13);
        int n = 48;
        int k = 40;
        double[][] z = TestArrays.normal(rnd, n, k, 3);
        double[][] y = TestArrays.softLabels(rnd, n, k, 1);
        double[][] avail = new double[n][k];
        double[] ids = new double[n];
        double[] rowMask = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                avail[i][j] = (i + j) % 3 == 0 ? 0 : 1;
            }
            ids[i] = rnd.nextInt(k);
            rowMask[i] = 0.5 + (i % 3);
        }
        // every input a strided view (copied by the vector path), or of another type
        INDArray logits = strided(TestArrays.array(z, DataType.FLOAT));
        INDArray labels = strided(TestArrays.array(y, DataType.FLOAT));
        INDArray mask = strided(TestArrays.array(avail, DataType.FLOAT));
        INDArray classIds = strided(Nd4j.createFromArray(ids).reshape(n, 1).castTo(DataType.FLOAT));
        INDArray exampleMask = strided(Nd4j.createFromArray(rowMask).reshape(n, 1));
        XentOptions o = XentOptions.builder().labelSmoothing(0.1).build();
        KernelChecks.check(path, logits, labels, mask, o, TestArrays.values(labels), null, avail);
        INDArray[] first = results(logits, labels, mask, classIds, exampleMask, o);
        Thread collector = new Thread(() -> {
            try {
                while (true) {
                    System.gc();
                    Thread.sleep(2);
                }
            } catch (InterruptedException e) {
                // done
            }
        });
        collector.setDaemon(true);
        collector.start();
        try {
            // the ND4J path reads arrays only through ND4J's own calls (which keep them alive) and
            // is slow under constant collections: a few calls suffice there
            int calls = path instanceof Nd4jKernelPath ? 20 : 300;
            for (int rep = 0; rep < calls; rep++) {
                INDArray[] again = results(logits, labels, mask, classIds, exampleMask, o);
                for (int i = 0; i < first.length; i++) {
                    assertEquals(first[i], again[i], path + ": call " + rep + ", result " + i);
                }
            }
        } finally {
            collector.interrupt();
            collector.join();
        }
    }

    private INDArray[] results(INDArray logits, INDArray labels, INDArray mask, INDArray classIds, INDArray exampleMask,
                               XentOptions o) {
        XentKernel.Result masked = path.compute(logits, labels, mask, o, XentKernel.Output.BOTH);
        XentKernel.Result ids = path.compute(logits, classIds, exampleMask, o, XentKernel.Output.BOTH);
        return new INDArray[]{masked.loss(), masked.gradient(), ids.loss(), ids.gradient(),
                path.logSumExp(logits, 1, false), path.logSoftmax(logits, 1)};
    }

    /** {@code a} as every second column of a larger array: not a dense c-order array. */
    private static INDArray strided(INDArray a) {
        INDArray big = Nd4j.create(a.dataType(), a.size(0), 2 * a.size(1)).assign(Double.NaN);
        INDArray view = big.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 2 * a.size(1)));
        view.assign(a);
        return view;
    }
}
