package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import io.github.xent4j.XentOptions;
import io.github.xent4j.examples.data.ImageDataset;
import io.github.xent4j.examples.data.MnistData;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Trains the MNIST MLP with {@link LossSoftmaxCrossEntropy} (label smoothing on, mixup soft
 * labels) on Spark: {@link SparkDl4jMultiLayer} with a {@link ParameterAveragingTrainingMaster}
 * in {@code local[N]}, bound to 127.0.0.1 with the web UI off.
 *
 * <pre>{@code
 * mvn -q -B -Pspark test-compile exec:exec@spark -Dscaleout.args="--epochs 2 --train-limit 12000"
 * }</pre>
 *
 * <p>Every epoch the driver draws that epoch's minibatches (shuffled, mixed up) and hands them
 * to Spark as an RDD of {@code DataSet}s, one minibatch each. Each executor task builds a
 * network from the broadcast configuration (its own {@code LossSoftmaxCrossEntropy}, with the
 * options), fits {@code averagingFrequency} minibatches, and the driver averages the
 * parameters and Adam's state of all tasks.
 *
 * <p>On a cluster, {@link #context} would be the {@code JavaSparkContext} of {@code spark-submit}
 * and the data would come from files ({@code SparkDl4jMultiLayer.fit(String path)}); the loss
 * needs nothing more than the xent4j jar on the executors' class path.
 */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = "MNIST MLP with LossSoftmaxCrossEntropy on Spark local[N], parameter averaging.")
public final class SparkExample implements Callable<Integer> {

    @Option(names = "--workers", defaultValue = "2", description = "N of local[N] (default: ${DEFAULT-VALUE})")
    int workers;
    @Option(names = "--epochs", defaultValue = "2", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--batch-size", defaultValue = "32", description = "minibatch per worker (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--averaging-frequency", defaultValue = "5",
            description = "minibatches each worker fits between averagings (default: ${DEFAULT-VALUE})")
    int averagingFrequency;
    @Option(names = "--seed", defaultValue = "42", description = "weights, data order, mixup (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "(default: ${DEFAULT-VALUE})")
    double labelSmoothing;
    @Option(names = "--mixup-alpha", defaultValue = "0.2", description = "mixup's Beta parameter (default: ${DEFAULT-VALUE})")
    double mixupAlpha;
    @Option(names = "--train-limit", defaultValue = "12000", description = "first N training examples, 0 = all 60,000 (default: ${DEFAULT-VALUE})")
    int trainLimit;
    @Option(names = "--test-limit", defaultValue = "0", description = "first N test examples, 0 = all 10,000")
    int testLimit;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkExample()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        MnistData train = MnistData.load(ImageDataset.MNIST, true, ImageDataset.defaultRoot());
        MnistData test = MnistData.load(ImageDataset.MNIST, false, ImageDataset.defaultRoot());
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(
                XentOptions.builder().labelSmoothing(labelSmoothing).build());
        MultiLayerNetwork net = MnistNetworks.mlp(loss, seed);
        DataSetIterator batches = ParallelWrapperExample.trainIterator(train, batchSize, seed, trainLimit, mixupAlpha);
        System.out.printf(Locale.ROOT, "MNIST MLP 784-512-256-10, %s, mixup alpha %s, Spark local[%d], %d epochs on %s "
                        + "examples, batch %d per worker, averaging every %d minibatches%n", loss, mixupAlpha, workers,
                epochs, trainLimit > 0 ? String.valueOf(trainLimit) : "60000", batchSize, averagingFrequency);
        long t0 = System.nanoTime();
        try (JavaSparkContext sc = context(workers)) {
            long t1 = System.nanoTime();
            train(sc, net, batches, epochs, batchSize, averagingFrequency, seed);
            long t2 = System.nanoTime();
            double accuracy = ParallelWrapperExample.accuracy(net, test, testLimit);
            System.out.printf(Locale.ROOT, "Spark local[%d]: test accuracy %.4f, train time %.1f s (+ %.1f s Spark start), "
                    + "loss %s%n", workers, accuracy, (t2 - t1) / 1e9, (t1 - t0) / 1e9, MnistNetworks.outputLoss(net));
        }
        return 0;
    }

    /** A {@code local[workers]} Spark context on 127.0.0.1 with the web UI off. */
    public static JavaSparkContext context(int workers) {
        SparkConf conf = new SparkConf()
                .setMaster("local[" + workers + "]")
                .setAppName("xent4j")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false");
        return new JavaSparkContext(conf);
    }

    /**
     * Trains {@code net} with parameter averaging; on return {@code net} holds the averaged
     * parameters and has counted the epochs.
     *
     * @param batches   the training minibatches; reset between epochs
     * @param listeners set on every executor-side network (serialized to the executors)
     */
    public static MultiLayerNetwork train(JavaSparkContext sc, MultiLayerNetwork net, DataSetIterator batches,
                                          int epochs, int batchSize, int averagingFrequency, long seed,
                                          TrainingListener... listeners) {
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(batchSize)
                .batchSizePerWorker(batchSize)
                .averagingFrequency(averagingFrequency)
                .workerPrefetchNumBatches(2)
                // The RDD's elements are the minibatches already: no export to files first.
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .rngSeed(seed)
                .build();
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, master);
        if (listeners.length > 0) {
            sparkNet.setListeners(listeners);
        }
        for (int e = 0; e < epochs; e++) {
            batches.reset();
            List<DataSet> epoch = new ArrayList<>();
            while (batches.hasNext()) {
                epoch.add(batches.next());
            }
            JavaRDD<DataSet> rdd = sc.parallelize(epoch, sc.defaultParallelism());
            sparkNet.fit(rdd);
        }
        return sparkNet.getNetwork();
    }
}
