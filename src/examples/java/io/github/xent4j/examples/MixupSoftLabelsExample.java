package io.github.xent4j.examples;

import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.Random;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Mixup (Zhang et al. 2018) with soft labels in a {@code MultiLayerNetwork}.
 *
 * <p>Every minibatch is blended with a shuffled copy of itself:
 * <pre>{@code
 * lambda ~ Beta(alpha, alpha),   x = lambda x + (1 - lambda) x[perm],   y = lambda y + (1 - lambda) y[perm]
 * }</pre>
 * so each label row holds two non-zero entries: a soft label. {@link LossSoftmaxCrossEntropy}
 * takes soft labels as they are (its gradient {@code p * sum(y) - y} is exact for any label row;
 * DL4J's {@code LossMCXENT} uses {@code p - y}, right only for rows that sum to 1, and clips
 * probabilities at 1e-10). Data: synthetic Gaussian clusters, so the example runs offline in
 * seconds.
 *
 * <p>Run: {@code mvn -q -B test-compile exec:java -Dexec.mainClass=io.github.xent4j.examples.MixupSoftLabelsExample}
 * (optional arguments: epochs, alpha).
 */
public final class MixupSoftLabelsExample {
    static final int FEATURES = 16;
    static final int CLASSES = 5;

    private MixupSoftLabelsExample() {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double alpha = args.length > 1 ? Double.parseDouble(args[1]) : 0.4;
        DataSet[] data = clusters(2000, CLASSES, FEATURES, 1.0, 42);
        DataSet train = data[0];
        DataSet test = data[1];
        Random rnd = new Random(7);

        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Adam(5e-3))
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(32).activation(Activation.RELU).build())
                // Softmax output: the loss works on the logits (pre-activations) directly.
                .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy()).nIn(32).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();

        BetaDistribution beta = new BetaDistribution(new Well19937c(7), alpha, alpha);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            train.shuffle(epoch);
            for (DataSet batch : train.batchBy(100)) {
                net.fit(mixup(batch, beta, rnd));
            }
            if (epoch % 5 == 0 || epoch == epochs) {
                System.out.printf("epoch %d: training loss (on unmixed data) %.4f%n", epoch, net.score(train));
            }
        }
        Evaluation eval = new Evaluation(CLASSES);
        eval.eval(test.getLabels(), net.output(test.getFeatures()));
        System.out.printf("test accuracy %.4f%n", eval.accuracy());
    }

    /** A mixed copy of {@code batch}: features and one-hot labels blended with a permutation of themselves. */
    static DataSet mixup(DataSet batch, BetaDistribution beta, Random rnd) {
        int n = batch.numExamples();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {              // Fisher-Yates
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double lambda = beta.sample();
        INDArray x = batch.getFeatures().mul(lambda).addi(Nd4j.pullRows(batch.getFeatures(), 1, perm).muli(1 - lambda));
        INDArray y = batch.getLabels().mul(lambda).addi(Nd4j.pullRows(batch.getLabels(), 1, perm).muli(1 - lambda));
        return new DataSet(x, y);
    }

    /** {@code n} points around random class centres (noise 1), one-hot labels; the same clusters for the same seed. */
    static DataSet[] clusters(int n, int k, int features, double spread, long seed) {
        Random rnd = new Random(seed);
        double[][] centers = new double[k][features];
        for (double[] c : centers) {
            for (int j = 0; j < features; j++) {
                c[j] = spread * rnd.nextGaussian();
            }
        }
        DataSet[] sets = new DataSet[2];
        for (int s = 0; s < 2; s++) {
            float[][] x = new float[n][features];
            float[][] y = new float[n][k];
            for (int i = 0; i < n; i++) {
                int c = rnd.nextInt(k);
                for (int j = 0; j < features; j++) {
                    x[i][j] = (float) (centers[c][j] + rnd.nextGaussian());
                }
                y[i][c] = 1;
            }
            sets[s] = new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
        }
        return sets;                                    // training set, test set
    }
}
