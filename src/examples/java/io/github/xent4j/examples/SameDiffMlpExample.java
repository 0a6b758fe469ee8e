package io.github.xent4j.examples;

import io.github.xent4j.XentOptions;
import io.github.xent4j.samediff.XentSameDiff;
import java.io.File;
import java.nio.file.Files;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.weightinit.impl.XavierInitScheme;

/**
 * An MLP in SameDiff whose loss is xent4j's softmax cross-entropy op, trained, saved and reloaded.
 *
 * <p>{@link XentSameDiff#softmaxCrossEntropy} adds one op with an analytic gradient (SameDiff's
 * own {@code sd.loss().softmaxCrossEntropy} ignores the upstream gradient, so a mean of it gets
 * a gradient N times too large). With {@code MEAN_BY_NONZERO_WEIGHT_COUNT} it is the mean over
 * the minibatch, which {@code sd.fit} minimises. The saved graph holds the op by name; loading it
 * needs xent4j on the class path and nothing else (the op registers itself). Data: synthetic
 * Gaussian clusters, offline, in seconds.
 *
 * <p>Run: {@code mvn -q -B test-compile exec:java -Dexec.mainClass=io.github.xent4j.examples.SameDiffMlpExample}
 * (optional argument: epochs).
 */
public final class SameDiffMlpExample {
    static final int FEATURES = 16;
    static final int CLASSES = 5;

    private SameDiffMlpExample() {
    }

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        DataSet[] data = clusters(2000, CLASSES, FEATURES, 1.0, 42);
        DataSet train = data[0];
        DataSet test = data[1];

        Nd4j.getRandom().setSeed(1);                   // the weights' initialisation draws from it
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, FEATURES);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, CLASSES);
        SDVariable w0 = sd.var("w0", new XavierInitScheme('c', FEATURES, 32), DataType.FLOAT, FEATURES, 32);
        SDVariable b0 = sd.zero("b0", DataType.FLOAT, 32);
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', 32, CLASSES), DataType.FLOAT, 32, CLASSES);
        SDVariable b1 = sd.zero("b1", DataType.FLOAT, CLASSES);
        SDVariable logits = sd.nn.relu(in.mmul(w0).add(b0), 0).mmul(w1).add("logits", b1);
        sd.nn.softmax("probs", logits, 1);
        // The loss: marked as the graph's loss (scalar reductions are), so sd.fit minimises it.
        XentSameDiff.softmaxCrossEntropy(sd, "loss", logits, label,
                XentOptions.builder().labelSmoothing(0.05).build(), LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(5e-3))
                .dataSetFeatureMapping("in").dataSetLabelMapping("label").build());

        for (int epoch = 1; epoch <= epochs; epoch++) {
            train.shuffle(epoch);
            for (DataSet batch : train.batchBy(100)) {
                sd.fit(batch);                          // or sd.fit(iterator, epochs)
            }
        }
        System.out.printf("trained %d epochs: training loss %.4f, test accuracy %.4f%n", epochs,
                sd.output(Map.of("in", train.getFeatures(), "label", train.getLabels()), "loss").get("loss").getDouble(0),
                accuracy(sd, test));

        File file = Files.createTempFile("xent4j-mlp", ".sd").toFile();
        file.deleteOnExit();
        sd.save(file, true);                           // true: with the updater state, to continue training
        SameDiff loaded = SameDiff.load(file, true);
        INDArray before = sd.outputSingle(Map.of("in", test.getFeatures()), "probs");
        INDArray after = loaded.outputSingle(Map.of("in", test.getFeatures()), "probs");
        System.out.printf("saved (%d bytes) and reloaded: outputs identical: %s%n", file.length(), before.equals(after));
        System.out.printf("test accuracy %.4f%n", accuracy(loaded, test));
    }

    static double accuracy(SameDiff sd, DataSet test) {
        Evaluation eval = new Evaluation(CLASSES);
        eval.eval(test.getLabels(), sd.outputSingle(Map.of("in", test.getFeatures()), "probs"));
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
