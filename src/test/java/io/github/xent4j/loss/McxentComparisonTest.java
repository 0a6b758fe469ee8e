package io.github.xent4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The README's claims about DL4J's LossMCXENT, measured side by side with LossSoftmaxCrossEntropy
 * on DL4J 1.0.0-M2.1. Each number the README quotes is asserted here.
 */
class McxentComparisonTest {
    static final ActivationSoftmax SOFTMAX = new ActivationSoftmax();

    @Test
    void confidentMistakeAtAGapOf1000() {
        INDArray z = Nd4j.createFromArray(new float[][]{{0, 1000, 0}});
        INDArray y = Nd4j.createFromArray(new float[][]{{1, 0, 0}});
        double mcxent = new LossMCXENT().computeScore(y, z.dup(), SOFTMAX, null, false);
        double ours = new LossSoftmaxCrossEntropy().computeScore(y, z, SOFTMAX, null, false);
        System.out.printf("gap 1000, float32: LossMCXENT %.4f, LossSoftmaxCrossEntropy %.4f (true 1000)%n", mcxent, ours);
        assertEquals(-Math.log(1e-10), mcxent, 1e-3);      // 23.0259: the clip at 1e-10
        assertEquals(1000.0, ours, 1e-3);
        // and unclipped MCXENT is NaN there
        double unclipped = new LossMCXENT(0.0, null).computeScore(y, z.dup(), SOFTMAX, null, false);
        assertTrue(Double.isNaN(unclipped) || Double.isInfinite(unclipped), "unclipped MCXENT: " + unclipped);
    }

    @Test
    void gradientForLabelsSummingToOnePointFive() {
        INDArray z = Nd4j.createFromArray(new double[][]{{1, 2, 3}});
        INDArray y = Nd4j.createFromArray(new double[][]{{0.75, 0.5, 0.25}});
        ILossFunction mcxent = new LossMCXENT(0.0, null);
        ILossFunction ours = new LossSoftmaxCrossEntropy();
        INDArray numeric = numericGradient(ours, y, z);
        INDArray numericMcxent = numericGradient(mcxent, y, z);
        INDArray gOurs = ours.computeGradient(y, z.dup(), SOFTMAX, null);
        INDArray gMcxent = mcxent.computeGradient(y, z.dup(), SOFTMAX, null);
        System.out.println("labels summing to 1.5: finite differences " + numeric + ", LossSoftmaxCrossEntropy " + gOurs
                + ", LossMCXENT " + gMcxent);
        // both scores are the same function here, so the finite differences agree ...
        assertTrue(numeric.equalsWithEps(numericMcxent, 1e-6));
        // ... our gradient matches them, MCXENT's (p - y) does not
        assertTrue(gOurs.equalsWithEps(numeric, 1e-7), gOurs + " vs " + numeric);
        double mcxentError = gMcxent.sub(numeric).norm1Number().doubleValue();
        assertTrue(mcxentError > 0.4, "MCXENT gradient error " + mcxentError);
        // the exact values: 1.5 * p - y against p - y
        INDArray p = Nd4j.nn().softmax(z.dup(), 1);
        assertTrue(gOurs.equalsWithEps(p.mul(1.5).sub(y), 1e-12));
        assertTrue(gMcxent.equalsWithEps(p.sub(y), 1e-12));
    }

    @Test
    void perOutputMaskThrowsInMcxentAndWorksHere() {
        INDArray z = Nd4j.createFromArray(new float[][]{{1, 2, 3}, {0, 0, 1}});
        INDArray y = Nd4j.createFromArray(new float[][]{{1, 0, 0}, {0, 0, 1}});
        INDArray mask = Nd4j.createFromArray(new float[][]{{1, 1, 0}, {1, 1, 1}});
        boolean mcxentThrew = false;
        try {
            new LossMCXENT().computeGradient(y, z.dup(), SOFTMAX, mask);
        } catch (UnsupportedOperationException e) {
            mcxentThrew = true;
        }
        assertTrue(mcxentThrew);
        INDArray g = new LossSoftmaxCrossEntropy().computeGradient(y, z, SOFTMAX, mask);
        assertEquals(0.0, g.getDouble(0, 2), 0.0);
        // row 0 is a softmax over classes 0 and 1 only
        double p0 = 1 / (1 + Math.exp(1));
        assertEquals(p0 - 1, g.getDouble(0, 0), 1e-6);
    }

    /** Central differences of computeScore in float64. */
    static INDArray numericGradient(ILossFunction f, INDArray y, INDArray z) {
        double h = 1e-6;
        INDArray g = Nd4j.create(DataType.DOUBLE, z.shape());
        for (int j = 0; j < z.size(1); j++) {
            INDArray plus = z.dup();
            plus.putScalar(0, j, z.getDouble(0, j) + h);
            INDArray minus = z.dup();
            minus.putScalar(0, j, z.getDouble(0, j) - h);
            double d = (f.computeScore(y, plus, SOFTMAX, null, false) - f.computeScore(y, minus, SOFTMAX, null, false)) / (2 * h);
            g.putScalar(0, j, d);
        }
        return g;
    }
}
