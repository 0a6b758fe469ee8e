package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.util.Collections;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SameDiff's own numerical gradient check ({@link GradCheckUtil}, float64, its defaults: eps
 * 1e-5, max relative error 1e-5, min absolute error 1e-6) on graphs that use the xent4j ops:
 * logits and soft labels as variables, every reduction and option; log-softmax and log-sum-exp
 * at rank 3 along several dimensions; a focal loss composed from log-softmax.
 */
class SameDiffGradCheckTest {
    private static DataType savedType;
    private static DataType savedFloatType;

    @BeforeAll
    static void useDouble() {
        savedType = Nd4j.dataType();
        savedFloatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(savedType, savedFloatType);
    }

    static boolean check(SameDiff sd) {
        return GradCheckUtil.checkGradients(sd, Collections.emptyMap(), GradCheckUtil.DEFAULT_EPS,
                GradCheckUtil.DEFAULT_MAX_REL_ERROR, GradCheckUtil.DEFAULT_MIN_ABS_ERROR, false, false);
    }

    @Test
    void crossEntropyLogitsAndLabelsEveryReductionAndOption() {
        Random rnd = new Random(21);
        int n = 3;
        int k = 4;
        XentOptions[] all = {
                XentOptions.defaults(),
                XentOptions.builder().classWeights(TestArrays.positiveWeights(rnd, k)).labelSmoothing(0.1)
                        .temperature(1.7).zLoss(0.01).build()};
        for (XentOptions o : all) {
            for (LossReduce r : LossReduce.values()) {
                SameDiff sd = SameDiff.create();
                SDVariable z = sd.var("z", TestArrays.array(TestArrays.normal(rnd, n, k, 2), DataType.DOUBLE));
                // labels that do not sum to 1, as a variable: their gradient is checked too
                SDVariable y = sd.var("y", TestArrays.array(TestArrays.softLabels(rnd, n, k, 0.8), DataType.DOUBLE));
                SDVariable loss = XentSameDiff.softmaxCrossEntropy(sd, "loss", z, y, o, r);
                if (r == LossReduce.NONE) {
                    // a non-trivial upstream gradient: the op must multiply by it
                    loss.mul(sd.constant("c", Nd4j.createFromArray(0.5, -2.0, 3.0))).sum("total").markAsLoss();
                }
                assertTrue(check(sd), "GradCheckUtil " + o + " " + r);
            }
        }
    }

    @Test
    void crossEntropyWithClassIdsAndPerExampleMask() {
        Random rnd = new Random(22);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", TestArrays.array(TestArrays.normal(rnd, 4, 3, 2), DataType.DOUBLE));
        SDVariable ids = sd.constant("ids", Nd4j.createFromArray(2L, 0L, 1L, 5L));     // 5 ignored
        SDVariable mask = sd.constant("mask", Nd4j.createFromArray(1.0, 0.5, 0.0, 1.0));
        XentSameDiff.softmaxCrossEntropy(sd, "loss", z, ids, mask, XentOptions.builder().ignoreIndex(5).build(),
                LossReduce.MEAN_BY_WEIGHT);
        assertTrue(check(sd));
    }

    @Test
    void logSoftmaxAndLogSumExpRank3SeveralDimensions() {
        Random rnd = new Random(23);
        for (int dim : new int[]{0, 1, -1, -2}) {
            for (boolean keepDims : new boolean[]{false, true}) {
                SameDiff sd = SameDiff.create();
                INDArray xv = Nd4j.createFromArray(TestArrays.normal(rnd, 1, 24, 2)[0]).reshape(2, 3, 4);
                SDVariable x = sd.var("x", xv);
                SDVariable ls = XentSameDiff.logSoftmax(sd, "ls", x, dim);
                SDVariable lse = XentSameDiff.logSumExp(sd, "lse", x, dim, keepDims);
                // weights make every output element's upstream gradient different
                SDVariable a = sd.constant("a", Nd4j.rand(DataType.DOUBLE, 2, 3, 4).subi(0.5));
                long[] reduced = keepDims ? KernelBackwardTest.kept(new long[]{2, 3, 4}, dim < 0 ? dim + 3 : dim)
                        : KernelBackwardTest.dropped(new long[]{2, 3, 4}, dim < 0 ? dim + 3 : dim);
                SDVariable b = sd.constant("b", Nd4j.rand(DataType.DOUBLE, reduced).subi(0.5));
                ls.mul(a).sum().add(lse.mul(b).sum()).markAsLoss();
                assertTrue(check(sd), "dim " + dim + " keepDims " + keepDims);
            }
        }
    }

    /** Focal loss (Lin et al. 2017) built from the stable log-softmax: {@code -sum y (1 - p)^2 log p / N}. */
    static SDVariable focalLoss(SameDiff sd, SDVariable logits, SDVariable labels, double n) {
        SDVariable logp = XentSameDiff.logSoftmax(sd, "logp", logits, -1);
        SDVariable p = sd.math.exp(logp);
        SDVariable modulating = sd.math.square(p.rsub(1.0));
        return modulating.mul(logp).mul(labels).sum().neg().div("focal", n);
    }

    @Test
    void focalLossFromLogSoftmax() {
        Random rnd = new Random(24);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", TestArrays.array(TestArrays.normal(rnd, 4, 5, 2), DataType.DOUBLE));
        SDVariable y = sd.constant("y", TestArrays.array(TestArrays.oneHot(new int[]{1, 4, 0, 2}, 5), DataType.DOUBLE));
        focalLoss(sd, z, y, 4).markAsLoss();
        assertTrue(check(sd));
    }
}
