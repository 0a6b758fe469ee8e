package io.github.xent4j.examples;

import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.Random;
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
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Distillation (Hinton, Vinyals, Dean 2015) from a teacher's logits at temperature T.
 *
 * <p>A wide teacher is trained on one-hot labels. Its logits {@code v} give the soft targets
 * {@code q = softmax(v / T)}, and a small student is trained on them with
 * {@code LossSoftmaxCrossEntropy(temperature(T))}:
 * <pre>{@code
 * loss = T^2 * CE(q, softmax(z / T)),     dloss/dz = T * (softmax(z / T) - q)
 * }</pre>
 * The loss divides the student's logits {@code z} by T itself and multiplies by {@code T^2},
 * which keeps the gradient's size independent of T. The targets are computed with
 * {@link XentKernel#logSoftmax}, exact for any logit gap (a plain softmax of {@code v / T} at
 * T = 1 underflows to 0 for gaps beyond about 100 in float32). The MNIST app's {@code distill}
 * command adds the hard labels as a second term at T = 1. Data: synthetic Gaussian clusters,
 * offline, in seconds.
 *
 * <p>Run: {@code mvn -q -B test-compile exec:java -Dexec.mainClass=io.github.xent4j.examples.DistillationExample}
 * (optional arguments: epochs, temperature).
 */
public final class DistillationExample {
    static final int FEATURES = 16;
    static final int CLASSES = 8;

    private DistillationExample() {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double t = args.length > 1 ? Double.parseDouble(args[1]) : 4;
        DataSet[] data = clusters(2000, CLASSES, FEATURES, 0.8, 42);
        DataSet train = data[0];
        DataSet test = data[1];

        MultiLayerNetwork teacher = mlp(64, XentOptions.defaults());
        fit(teacher, train, epochs);
        System.out.printf("teacher 16-64-8: test accuracy %.4f%n", accuracy(teacher, test));
        MultiLayerNetwork hard = mlp(8, XentOptions.defaults());
        fit(hard, train, epochs);
        System.out.printf("student 16-8-8 on the one-hot labels: test accuracy %.4f%n", accuracy(hard, test));

        // Soft targets q = softmax(v / T) from the teacher's logits v, computed in log space.
        INDArray q = Transforms.exp(XentKernel.logSoftmax(logits(teacher, train.getFeatures()).divi(t), 1), false);
        DataSet soft = new DataSet(train.getFeatures(), q);

        MultiLayerNetwork student = mlp(8, XentOptions.builder().temperature(t).build());
        fit(student, soft, epochs);
        System.out.printf("student 16-8-8 distilled at T = %s: test accuracy %.4f%n", t, accuracy(student, test));
    }

    static MultiLayerNetwork mlp(int hidden, XentOptions options) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Adam(5e-3))
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(hidden).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy(options)).nIn(hidden).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    static void fit(MultiLayerNetwork net, DataSet data, int epochs) {
        for (int epoch = 1; epoch <= epochs; epoch++) {
            data.shuffle(epoch);
            for (DataSet batch : data.batchBy(100)) {
                net.fit(batch);
            }
        }
    }

    /**
     * The logits of a network ending in a softmax {@code OutputLayer}: its pre-activations
     * {@code h W + b}, from the last hidden activations {@code h} and the output layer's
     * parameters (the network's output is {@code softmax} of them).
     */
    static INDArray logits(MultiLayerNetwork net, INDArray x) {
        int out = net.getnLayers() - 1;
        INDArray h = net.feedForwardToLayer(out - 1, x).get(out);
        return h.mmul(net.getParam(out + "_W")).addiRowVector(net.getParam(out + "_b"));
    }

    static double accuracy(MultiLayerNetwork net, DataSet test) {
        Evaluation eval = new Evaluation(CLASSES);
        eval.eval(test.getLabels(), net.output(test.getFeatures()));
        return eval.accuracy();
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
