package io.github.xent4j.examples.scaleout;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Mixup (Zhang et al. 2018, arXiv:1710.09412): every minibatch is blended with a shuffled copy
 * of itself, which turns one-hot labels into soft ones.
 * <pre>{@code
 * lambda ~ Beta(alpha, alpha)        one draw per minibatch
 * x = lambda * x + (1 - lambda) * x[perm]
 * y = lambda * y + (1 - lambda) * y[perm]
 * }</pre>
 * Each label row then holds two non-zero entries that sum to 1: exactly the kind of target
 * {@code LossSoftmaxCrossEntropy} handles exactly and {@code LossMCXENT} only approximately.
 *
 * <p>Deterministic: the draws depend only on the seed and on how many minibatches came before,
 * so two trainings fed by iterators with the same seed see the same soft labels. Not for use by
 * several threads at once (DL4J's prefetching calls it from one thread).
 */
public final class MixupSoftLabels implements DataSetPreProcessor {
    private static final long serialVersionUID = 1L;

    private final double alpha;
    private final Random permutations;
    private final BetaDistribution beta;

    /**
     * @param alpha the Beta distribution's parameter, {@code > 0}; 0.2 is the paper's ImageNet value
     * @param seed  seeds the draws
     * @throws IllegalArgumentException if {@code alpha} is not positive and finite
     */
    public MixupSoftLabels(double alpha, long seed) {
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite and > 0, got " + alpha);
        }
        this.alpha = alpha;
        this.permutations = new Random(seed);
        this.beta = new BetaDistribution(new Well19937c(seed), alpha, alpha);
    }

    /** The Beta parameter. */
    public double alpha() {
        return alpha;
    }

    @Override
    public void preProcess(DataSet ds) {
        INDArray x = ds.getFeatures();
        INDArray y = ds.getLabels();
        int n = (int) x.size(0);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = permutations.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double lambda = beta.sample();
        INDArray xMixed = Nd4j.pullRows(x, 1, perm).muli(1 - lambda);
        INDArray yMixed = Nd4j.pullRows(y, 1, perm).muli(1 - lambda);
        x.muli(lambda).addi(xMixed);
        y.muli(lambda).addi(yMixed);
    }
}
