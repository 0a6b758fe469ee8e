package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What only the fused kernel has: every vector width against the float64 reference at half the
 * contract's tolerance, large class counts, inputs that are views or f-order, the split over
 * threads, and the error when it is forced where it cannot run.
 */
class VectorKernelPathTest {
    static final double NEG_INF = Double.NEGATIVE_INFINITY;

    @Test
    void everyWidthIsWithinHalfTheToleranceOnRandomCases() {
        List<KernelPath> widths = VectorPaths.widths();
        assertTrue(widths.size() >= 2 || VectorPaths.bits(widths.get(0)) == 128,
                "every width down to 128 bits is tested: " + widths);
        for (int seed = 0; seed < 400; seed++) {
            VectorPaths.INDArrayCase c = randomCase(new Random(seed), "seed " + seed);
            for (KernelPath p : widths) {
                VectorPaths.checkHalfTolerance(p, c);
            }
        }
    }

    /** A random input: types, shapes around the vector lengths, options, label and mask kinds, -inf. */
    static VectorPaths.INDArrayCase randomCase(Random rnd, String name) {
        return randomCase(rnd, name, 0);
    }

    /** {@link #randomCase(Random, String)} with {@code rows} rows (0: 1 to 9, drawn). */
    static VectorPaths.INDArrayCase randomCase(Random rnd, String name, int rows) {
        return randomCase(rnd, name, rows, new int[]{1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257});
    }

    /** {@link #randomCase(Random, String, int)} with K drawn from {@code ks}. */
    static VectorPaths.INDArrayCase randomCase(Random rnd, String name, int rows, int[] ks) {
        DataType[] types = {DataType.FLOAT, DataType.FLOAT, DataType.FLOAT, DataType.DOUBLE, DataType.HALF};
        DataType type = types[rnd.nextInt(types.length)];
        int k = ks[rnd.nextInt(ks.length)];
        int drawn = 1 + rnd.nextInt(9);
        int n = rows > 0 ? rows : drawn;
        XentOptions o = OptionSets.of(OptionSets.NAMES[rnd.nextInt(OptionSets.NAMES.length)], k, rnd);
        double scale = type == DataType.HALF ? 3 : new double[]{0.1, 3, 30}[rnd.nextInt(3)];
        double[][] z = TestArrays.normal(rnd, n, k, scale);
        boolean classIds = k > 1 && rnd.nextInt(3) == 0;
        int maskKind = rnd.nextInt(4);                           // 0, 1: none; 2: per example; 3: per output
        if (classIds && maskKind == 3) {
            maskKind = 2;
        }
        double[] rowWeights = null;
        double[][] available = null;
        if (maskKind == 2) {
            rowWeights = new double[n];
            double[] values = {1, 0, 0.5, -1.5, 2};
            for (int i = 0; i < n; i++) {
                rowWeights[i] = values[rnd.nextInt(values.length)];
            }
        } else if (maskKind == 3) {
            available = new double[n][k];
            rowWeights = new double[n];
            for (int i = 0; i < n; i++) {
                boolean none = rnd.nextInt(6) == 0;
                for (int j = 0; j < k; j++) {
                    available[i][j] = !none && rnd.nextInt(4) != 0 ? 1 : 0;
                    rowWeights[i] = Math.max(rowWeights[i], available[i][j]);
                }
            }
        }
        double[][] y;
        INDArray labels;
        int[] ids = null;
        if (classIds) {
            ids = TestArrays.classIds(rnd, n, k);
            y = TestArrays.oneHot(ids, k);
            int ignore = rnd.nextBoolean() ? ids[0] : -1;
            if (ignore >= 0) {
                o = o.toBuilder().ignoreIndex(ignore).build();
                if (rowWeights == null) {
                    rowWeights = new double[n];
                    java.util.Arrays.fill(rowWeights, 1);
                }
                for (int i = 0; i < n; i++) {
                    if (ids[i] == ignore) {
                        rowWeights[i] = 0;
                    }
                }
            }
            DataType idType = new DataType[]{DataType.INT, DataType.LONG, DataType.FLOAT}[rnd.nextInt(3)];
            double[] col = new double[n];
            for (int i = 0; i < n; i++) {
                col[i] = ids[i];
            }
            labels = rnd.nextBoolean() ? Nd4j.createFromArray(col).castTo(idType)
                    : Nd4j.createFromArray(col).reshape(n, 1).castTo(idType);
        } else {
            y = TestArrays.softLabels(rnd, n, k, rnd.nextBoolean() ? 1 : 0.5 + 3 * rnd.nextDouble());
            for (int i = 0; i < n; i++) {
                if (rnd.nextInt(3) == 0) {
                    y[i][rnd.nextInt(k)] = 0;             // some zero labels (for -inf logits below)
                }
            }
            labels = null;
        }
        // -inf logits: on a zero label (contributes nothing) or, rarely, a positive one (loss +inf)
        for (int i = 0; i < n && k > 1; i++) {
            int j = rnd.nextInt(k);
            boolean availableHere = available == null || available[i][j] != 0;
            int others = 0;
            for (int jj = 0; jj < k; jj++) {
                others += jj != j && (available == null || available[i][jj] != 0) ? 1 : 0;
            }
            if (rnd.nextInt(3) == 0 && others > 0 && (y[i][j] == 0 || rnd.nextInt(4) == 0 || !availableHere)) {
                z[i][j] = NEG_INF;
            }
        }
        // masked rows hold garbage
        for (int i = 0; rowWeights != null && i < n; i++) {
            if (rowWeights[i] == 0 && available == null && !classIds) {
                z[i][0] = Double.NaN;
                y[i][k - 1] = Double.POSITIVE_INFINITY;
            }
        }
        INDArray logits = TestArrays.array(z, type);
        DataType labelType = type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        if (labels == null) {
            labels = TestArrays.array(y, labelType);
            y = TestArrays.values(labels);
        }
        INDArray mask = null;
        if (maskKind == 2) {
            mask = Nd4j.createFromArray(rowWeights).reshape(n, 1).castTo(labelType);
        } else if (maskKind == 3) {
            mask = TestArrays.array(available, labelType);
        }
        return new VectorPaths.INDArrayCase(name + " " + type + " [" + n + "," + k + "] " + o, logits, labels, mask, o,
                y, rowWeights, available);
    }

    /** The edge-case decisions of the specification, each width against the reference. */
    @Test
    void edgeCasesAtEveryWidth() {
        for (KernelPath p : VectorPaths.widths()) {
            // [1, 1]: loss lambda LSE^2, gradient (2 lambda / t) LSE
            XentOptions zl = XentOptions.builder().zLoss(0.1).temperature(2).build();
            VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("[1,1]",
                    Nd4j.createFromArray(new float[][]{{3}}), Nd4j.createFromArray(new float[][]{{1}}), null, zl,
                    new double[][]{{1}}, null, null));
            assertThrows(IllegalArgumentException.class, () -> p.compute(Nd4j.createFromArray(new float[][]{{Float.NaN}}),
                    Nd4j.createFromArray(new float[][]{{1}}), null, XentOptions.defaults(), XentKernel.Output.GRADIENT));
            // temperature 4, labels 1e38: finite gradient [-3.03e37, 3.03e37]
            INDArray big = Nd4j.createFromArray(new float[][]{{1e38f, 0}});
            VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("t=4 y=1e38",
                    Nd4j.createFromArray(new float[][]{{10, 0}}), big, null, XentOptions.builder().temperature(4).build(),
                    TestArrays.values(big), null, null));
            XentKernel.Result r = p.compute(Nd4j.createFromArray(new float[][]{{10, 0}}), big, null,
                    XentOptions.builder().temperature(4).build(), XentKernel.Output.GRADIENT);
            assertEquals(-3.03e37, r.gradient().getDouble(0, 0), 0.01e37);
            // a tiny log-sum-exp: loss 1.71e-17, gradient [8.28e-10, 3.4e-17]
            INDArray zero = Nd4j.createFromArray(new float[][]{{0, 0}});
            VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("tiny lse",
                    Nd4j.createFromArray(new float[][]{{0, -17}}), zero, null, XentOptions.builder().zLoss(0.01).build(),
                    new double[][]{{0, 0}}, null, null));
            r = p.compute(Nd4j.createFromArray(new float[][]{{0, -17}}), zero, null, XentOptions.builder().zLoss(0.01).build(),
                    XentKernel.Output.BOTH);
            assertEquals(1.71e-17, r.loss().getDouble(0), 0.01e-17);
            assertEquals(3.4e-17, r.gradient().getDouble(0, 1), 0.1e-17);
            // LSE beyond float32: loss +inf, gradient 1.6e35
            VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("lse 4e38",
                    Nd4j.createFromArray(new float[][]{{1e38f, 1e38f}}), zero, null,
                    XentOptions.builder().temperature(0.25).zLoss(1e-4).build(), new double[][]{{0, 0}}, null, null));
            // a mask of -1 on a row whose loss is +inf gives -inf
            INDArray m = Nd4j.createFromArray(new float[]{-1f, 1f}).reshape(2, 1);
            r = p.compute(Nd4j.createFromArray(new float[][]{{Float.NEGATIVE_INFINITY, 0}, {1, 2}}),
                    Nd4j.createFromArray(new float[][]{{1, 0}, {0, 1}}), m, XentOptions.defaults(), XentKernel.Output.BOTH);
            assertEquals(Double.NEGATIVE_INFINITY, r.loss().getDouble(0));
            assertEquals(Double.NEGATIVE_INFINITY, r.lossSum());
            assertTrue(Double.isFinite(r.gradient().getDouble(0, 0)));
            // class ids compared exactly: 16777216 is not ignoreIndex 16777217 (and not a class of 3)
            INDArray ids = Nd4j.createFromArray(new int[]{16777216});
            assertThrows(IllegalArgumentException.class, () -> p.compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}}), ids,
                    null, XentOptions.builder().ignoreIndex(16777217).build(), XentKernel.Output.BOTH));
            XentKernel.Result ignored = p.compute(Nd4j.createFromArray(new float[][]{{1, 2, 3}}), ids, null,
                    XentOptions.builder().ignoreIndex(16777216).build(), XentKernel.Output.BOTH);
            assertEquals(0.0, ignored.lossSum(), 0.0);
            // empty batch
            XentKernel.Result empty = p.compute(Nd4j.create(DataType.FLOAT, 0, 5), Nd4j.create(DataType.FLOAT, 0, 5), null,
                    XentOptions.defaults(), XentKernel.Output.BOTH);
            assertArrayEquals(new long[]{0}, empty.loss().shape());
            assertArrayEquals(new long[]{0, 5}, empty.gradient().shape());
            assertEquals(0.0, empty.lossSum(), 0.0);
        }
    }

    /**
     * Rows whose true loss is representable although a float32 product {@code w y' (z - m) / t}
     * or a lane's partial sum of them overflows (a label's logit far below the row maximum, then
     * scaled down by the mask or the temperature): finite losses, at every width.
     */
    @Test
    void lossesWhoseLaneProductsOverflowAreFinite() {
        for (DataType type : new DataType[]{DataType.FLOAT, DataType.BFLOAT16}) {
            for (KernelPath p : VectorPaths.widths()) {
                // w y' (z - m) = 1.84 * -3.06e38 overflows; the loss 0.5 * 1.84 * 3.06e38 = 2.81e38 does not
                double[][] z = {{9984, 9984, 3.0572243903053065e38, 9984}, {1, 2, 3, 4}};
                XentOptions weighted = XentOptions.builder().classWeights(new double[]{1.8387, 0.5, 1, 1.2}).build();
                INDArray logits = TestArrays.array(z, type);
                INDArray ids = Nd4j.createFromArray(new int[]{0, 1});
                INDArray mask = Nd4j.createFromArray(new double[]{0.5, 1}).castTo(type);
                VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase(type + " weighted, mask 0.5", logits, ids,
                        mask, weighted, new double[][]{{1, 0, 0, 0}, {0, 1, 0, 0}}, new double[]{0.5, 1}, null));
                // two products of -2e38 in one lane (classes 0 and 16): the loss 0.5 * 4e38 = 2e38
                double[][] far = new double[1][40];
                far[0][0] = -1e38;
                far[0][16] = -1e38;
                far[0][39] = 1e38;
                double[][] y = new double[1][40];
                y[0][0] = 1;
                y[0][16] = 1;
                INDArray soft = TestArrays.array(y, type);
                VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase(type + " one lane's sum, mask 0.5",
                        TestArrays.array(far, type), soft, Nd4j.createFromArray(new double[]{0.5}).castTo(type),
                        XentOptions.defaults(), TestArrays.values(soft), new double[]{0.5}, null));
                // temperature 0.25: (z - m) / t = -2.4e39 overflows float32; the loss t (m - z) = 1.5e38 does not
                double[][] wide = {{-3e38, 3e38}};
                VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase(type + " t = 0.25, gap 6e38",
                        TestArrays.array(wide, type), TestArrays.array(new double[][]{{1, 0}}, type), null,
                        XentOptions.builder().temperature(0.25).build(), new double[][]{{1, 0}}, null, null));
            }
        }
    }

    /** The loss sum adds the losses as returned: a half loss beyond 65504 is +inf, and so is the sum. */
    @Test
    void halfLossSumIsOfTheLossesAsReturned() {
        for (KernelPath p : VectorPaths.widths()) {
            // row 0: 2 * 40000 = 80000 > 65504 (+inf in half); row 1: 40000, finite
            INDArray logits = TestArrays.array(new double[][]{{0, -40000}, {0, -40000}}, DataType.HALF);
            INDArray labels = TestArrays.array(new double[][]{{0, 2}, {0, 1}}, DataType.HALF);
            VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("half, loss 80000", logits, labels, null,
                    XentOptions.defaults(), TestArrays.values(labels), null, null));
            XentKernel.Result r = p.compute(logits, labels, null, XentOptions.defaults(), XentKernel.Output.LOSS_SUM);
            assertEquals(Double.POSITIVE_INFINITY, r.lossSum(), p + ": loss sum");
        }
    }

    @Test
    void largeClassCountsAreWithinHalfTheTolerance() {
        Random rnd = new Random(7);
        for (int k : new int[]{32000, 128000}) {
            int n = k == 32000 ? 6 : 3;
            double[][] z = TestArrays.normal(rnd, n, k, 4);
            z[0][5] = 40;                                        // one dominant class
            double[][] soft = TestArrays.softLabels(rnd, n, k, 1);
            int[] ids = TestArrays.classIds(rnd, n, k);
            INDArray logits = TestArrays.array(z, DataType.FLOAT);
            INDArray softLabels = TestArrays.array(soft, DataType.FLOAT);
            for (String opt : new String[]{"plain", "all"}) {
                XentOptions o = OptionSets.of(opt, k, rnd);
                for (KernelPath p : VectorPaths.widths()) {
                    VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("K=" + k + " soft " + opt, logits,
                            softLabels, null, o, TestArrays.values(softLabels), null, null));
                    double[] col = new double[n];
                    for (int i = 0; i < n; i++) {
                        col[i] = ids[i];
                    }
                    VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("K=" + k + " ids " + opt, logits,
                            Nd4j.createFromArray(col).castTo(DataType.INT), null, o, TestArrays.oneHot(ids, k), null, null));
                }
            }
        }
    }

    @Test
    void viewsFOrderAndOffsetsGiveTheResultsOfDenseCopies() {
        Random rnd = new Random(11);
        int n = 7;
        int k = 37;
        INDArray big = TestArrays.array(TestArrays.normal(rnd, n + 4, k + 6, 3), DataType.FLOAT);
        INDArray bigLabels = TestArrays.array(TestArrays.softLabels(rnd, n + 4, k + 6, 1), DataType.FLOAT);
        INDArray bigMask = TestArrays.array(TestArrays.normal(rnd, n + 4, 3, 1), DataType.FLOAT);
        XentOptions o = OptionSets.of("all", k, rnd);
        List<INDArray[]> inputs = new ArrayList<>();
        // rows with an offset (dense, starts inside the buffer)
        INDArray rowsZ = big.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.all())
                .get(NDArrayIndex.all(), NDArrayIndex.interval(0, k + 6));
        // a column range: rows are not contiguous
        INDArray colsZ = big.get(NDArrayIndex.interval(1, 1 + n), NDArrayIndex.interval(3, 3 + k));
        INDArray colsY = bigLabels.get(NDArrayIndex.interval(2, 2 + n), NDArrayIndex.interval(1, 1 + k));
        INDArray maskColumn = bigMask.get(NDArrayIndex.interval(1, 1 + n), NDArrayIndex.interval(2, 3));
        inputs.add(new INDArray[]{rowsZ, bigLabels.get(NDArrayIndex.interval(3, 3 + n), NDArrayIndex.all()), null});
        inputs.add(new INDArray[]{colsZ, colsY, null});
        inputs.add(new INDArray[]{colsZ.dup('f'), colsY.dup('f'), maskColumn});
        inputs.add(new INDArray[]{colsZ.transpose().dup('c').transpose(), colsY, maskColumn.dup('f')});
        for (INDArray[] in : inputs) {
            int kk = (int) in[0].size(1);
            XentOptions oo = kk == k ? o : OptionSets.of("all", kk, new Random(1));
            for (KernelPath p : VectorPaths.widths()) {
                XentKernel.Result view = p.compute(in[0], in[1], in[2], oo, XentKernel.Output.BOTH);
                XentKernel.Result dense = p.compute(in[0].dup('c'), in[1].dup('c'), in[2] == null ? null : in[2].dup('c'),
                        oo, XentKernel.Output.BOTH);
                assertArrayEquals(TestArrays.vector(dense.loss()), TestArrays.vector(view.loss()), 0.0, p.name() + " loss");
                assertArrayEquals(TestArrays.vector(dense.gradient().reshape(-1)),
                        TestArrays.vector(view.gradient().reshape(-1)), 0.0, p.name() + " gradient");
                assertEquals(dense.lossSum(), view.lossSum(), 0.0, p.name() + " loss sum");
                double[] w = in[2] == null ? null : TestArrays.vector(in[2]);
                VectorPaths.checkHalfTolerance(p, new VectorPaths.INDArrayCase("view", in[0], in[1], in[2], oo,
                        TestArrays.values(in[1]), w, null));
            }
        }
        // inputs are never modified
        INDArray copy = colsZ.dup();
        VectorPaths.widths().get(0).compute(colsZ, colsY, null, o, XentKernel.Output.BOTH);
        assertEquals(copy, colsZ);
    }

    @Test
    void splittingRowsOverThreadsChangesNothing() {
        Random rnd = new Random(5);
        for (KernelPath w : VectorPaths.widths()) {
            int bits = VectorPaths.bits(w);
            KernelPath one = VectorPaths.fixed(bits, 1, 0);
            for (int threads : new int[]{2, 3}) {
                KernelPath many = VectorPaths.fixed(bits, threads, 0);
                for (int seed = 0; seed < 30; seed++) {
                    VectorPaths.INDArrayCase c = randomCase(new Random(seed * 31 + threads), "threads " + threads);
                    if (c.logits.size(0) < 2) {
                        continue;
                    }
                    XentKernel.Result a = one.compute(c.logits, c.labels, c.mask, c.options, XentKernel.Output.BOTH);
                    XentKernel.Result b = many.compute(c.logits, c.labels, c.mask, c.options, XentKernel.Output.BOTH);
                    assertArrayEquals(TestArrays.vector(a.loss()), TestArrays.vector(b.loss()), 0.0, c.name);
                    assertArrayEquals(TestArrays.vector(a.gradient().reshape(-1)),
                            TestArrays.vector(b.gradient().reshape(-1)), 0.0, c.name);
                    assertEquals(a.lossSum(), b.lossSum(), 0.0, c.name);
                }
                // a large input, and an invalid row in the last part: the same error as on one thread
                INDArray z = TestArrays.array(TestArrays.normal(rnd, 301, 500, 3), DataType.FLOAT);
                INDArray y = TestArrays.array(TestArrays.softLabels(rnd, 301, 500, 1), DataType.FLOAT);
                XentKernel.Result a = one.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.BOTH);
                XentKernel.Result b = many.compute(z, y, null, XentOptions.defaults(), XentKernel.Output.BOTH);
                assertArrayEquals(TestArrays.vector(a.gradient().reshape(-1)), TestArrays.vector(b.gradient().reshape(-1)), 0.0);
                assertEquals(a.lossSum(), b.lossSum(), 0.0);
                INDArray bad = z.dup();
                bad.putScalar(290, 7, Double.NaN);
                String m1 = assertThrows(IllegalArgumentException.class,
                        () -> one.compute(bad, y, null, XentOptions.defaults(), XentKernel.Output.BOTH)).getMessage();
                String m2 = assertThrows(IllegalArgumentException.class,
                        () -> many.compute(bad, y, null, XentOptions.defaults(), XentKernel.Output.BOTH)).getMessage();
                assertEquals(m1, m2);
                assertTrue(m1.contains("row 290"), m1);
            }
        }
    }

    @Test
    void aWidthWiderThanTheCpusIsRefused() {
        int widest = VectorPaths.bits(VectorPaths.widths().get(0));
        if (widest < 512) {
            Throwable e = assertThrows(AssertionError.class, () -> VectorPaths.fixed(widest * 2, 1, 0)).getCause();
            assertTrue(e instanceof IllegalStateException && e.getMessage().contains("preferred vector width"), e.toString());
        }
        Throwable e = assertThrows(AssertionError.class, () -> VectorPaths.fixed(192, 1, 0)).getCause();
        assertTrue(e instanceof IllegalArgumentException && e.getMessage().contains("128, 256 or 512"), e.toString());
    }

    /** Run in a fresh JVM by {@link #forcedVectorWithoutTheModuleIsAClearError}. */
    public static final class ForcedVector {
        public static void main(String[] args) {
            INDArray z = Nd4j.createFromArray(new float[][]{{1, 2}});
            for (int i = 0; i < 2; i++) {                        // the same error at every call
                try {
                    XentKernel.compute(z, z, null, XentOptions.defaults(), XentKernel.Output.BOTH);
                    System.out.println("RESULT=computed");
                } catch (RuntimeException e) {
                    System.out.println("RESULT=" + e.getClass().getName() + ": " + e.getMessage());
                }
            }
        }
    }

    @Test
    void forcedVectorWithoutTheModuleIsAClearError() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dxent4j.kernel=vector");
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(ForcedVector.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process proc = pb.start();
        List<String> results = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.startsWith("RESULT=")) {
                    results.add(line.substring("RESULT=".length()));
                }
            }
        }
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "fresh JVM finished");
        String expected = "java.lang.IllegalStateException: -Dxent4j.kernel=vector, but the fused Vector API kernel "
                + "cannot run: the JVM was started without --add-modules jdk.incubator.vector";
        assertEquals(List.of(expected, expected), results, all.toString());
    }
}
