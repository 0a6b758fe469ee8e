package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import io.github.xent4j.examples.mnist.NativeSettings;
import io.github.xent4j.XentOptions;
import io.github.xent4j.examples.data.ImageDataset;
import io.github.xent4j.examples.data.IdxDataSetIterator;
import io.github.xent4j.examples.data.MnistData;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Trains the MNIST MLP with {@link LossSoftmaxCrossEntropy} (label smoothing on) on mixup soft
 * labels, once in one process and once with DL4J's {@link ParallelWrapper} (data parallelism
 * over worker threads, parameter averaging), from the same initial weights, data order and soft
 * labels, and prints both test accuracies and times.
 *
 * <pre>{@code
 * mvn -q -B test-compile exec:exec@parallel-wrapper -Dscaleout.args="--epochs 5"
 * }</pre>
 *
 * <p>ParallelWrapper's worker 0 trains the network it was given; every other worker trains a
 * replica built from the network's JSON configuration, so each replica holds its own
 * {@code LossSoftmaxCrossEntropy} with the same options. After every {@code averagingFrequency}
 * rounds (one minibatch per worker) the parameters and Adam's state are averaged. The global
 * minibatch is split across the workers, so both trainings make the same number of updates.
 *
 * <p>ParallelWrapper is not reproducible run to run in DL4J 1.0.0-M2.1, whatever the loss: a
 * replica copies worker 0's parameters and updater state in its own thread when it starts,
 * racing with worker 0's first minibatch of the {@code fit}.
 */
@Command(name = "parallel-wrapper", mixinStandardHelpOptions = true,
        description = "MNIST MLP with LossSoftmaxCrossEntropy: single process vs ParallelWrapper.")
public final class ParallelWrapperExample implements Callable<Integer> {

    /** What to run. */
    enum Mode { SINGLE, PARALLEL, BOTH }

    @Option(names = "--mode", defaultValue = "both", description = "single, parallel or both (default: ${DEFAULT-VALUE})")
    String mode;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;
    @Option(names = "--workers", defaultValue = "2", description = "ParallelWrapper workers (default: ${DEFAULT-VALUE})")
    int workers;
    @Option(names = "--averaging-frequency", defaultValue = "1",
            description = "rounds between parameter averagings (default: ${DEFAULT-VALUE})")
    int averagingFrequency;
    @Option(names = "--batch-size", defaultValue = "128",
            description = "global minibatch; each ParallelWrapper worker fits batch/workers of it (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--seed", defaultValue = "42", description = "weights, data order, mixup (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "(default: ${DEFAULT-VALUE})")
    double labelSmoothing;
    @Option(names = "--mixup-alpha", defaultValue = "0.2", description = "mixup's Beta parameter (default: ${DEFAULT-VALUE})")
    double mixupAlpha;
    @Option(names = "--train-limit", defaultValue = "0", description = "first N training examples, 0 = all 60,000")
    int trainLimit;
    @Option(names = "--test-limit", defaultValue = "0", description = "first N test examples, 0 = all 10,000")
    int testLimit;
    @Option(names = "--threads", defaultValue = "0",
            description = "native (OpenMP) threads per op, 0 = ND4J's default (OMP_NUM_THREADS or all cores)")
    int threads;

    /** One training's outcome. */
    public record Result(String name, double accuracy, double seconds, MultiLayerNetwork model) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ParallelWrapperExample()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Mode m = Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        if (threads > 0) {
            NativeSettings.setThreads(threads);
        }
        MnistData train = MnistData.load(ImageDataset.MNIST, true, ImageDataset.defaultRoot());
        MnistData test = MnistData.load(ImageDataset.MNIST, false, ImageDataset.defaultRoot());
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(
                XentOptions.builder().labelSmoothing(labelSmoothing).build());
        System.out.printf(Locale.ROOT, "MNIST MLP 784-512-256-10, %s, mixup alpha %s, %d epochs, batch %d, seed %d, "
                        + "native threads %d, %d cores%n", loss, mixupAlpha, epochs, batchSize, seed,
                NativeSettings.threads(),
                Runtime.getRuntime().availableProcessors());
        List<Result> results = new ArrayList<>();
        if (batchSize % workers != 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--batch-size " + batchSize + " must be a multiple of --workers " + workers);
        }
        if (m != Mode.PARALLEL) {
            MultiLayerNetwork net = MnistNetworks.mlp(loss, seed);
            long t0 = System.nanoTime();
            trainSingle(net, trainIterator(train, batchSize, seed, trainLimit, mixupAlpha), epochs);
            results.add(result("single process, batch " + batchSize, net, test, t0));
        }
        if (m != Mode.SINGLE) {
            // The same global minibatch, split across the workers: as many updates per epoch as
            // in one process. (Each worker fitting the whole batch size halves the updates and,
            // with Adam's state averaged, cost 2 to 4 points of accuracy here.)
            MultiLayerNetwork net = MnistNetworks.mlp(loss, seed);
            long t0 = System.nanoTime();
            trainParallel(net, trainIterator(train, batchSize / workers, seed, trainLimit, mixupAlpha), epochs,
                    workers, averagingFrequency);
            results.add(result("ParallelWrapper, " + workers + " workers x batch " + batchSize / workers
                    + ", averaging every " + averagingFrequency, net, test, t0));
        }
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-60s test accuracy %.4f  train time %6.1f s  loss %s%n",
                    r.name(), r.accuracy(), r.seconds(), MnistNetworks.outputLoss(r.model()));
        }
        return 0;
    }

    private Result result(String name, MultiLayerNetwork net, MnistData test, long t0) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(name, accuracy(net, test, testLimit), seconds, net);
    }

    /**
     * Training minibatches: shuffled with {@code seed}, mixup soft labels drawn with {@code seed}.
     *
     * @param limit first examples to use, 0 for all
     */
    public static DataSetIterator trainIterator(MnistData train, int batchSize, long seed, int limit, double mixupAlpha) {
        IdxDataSetIterator.Builder b = IdxDataSetIterator.builder(train).batchSize(batchSize).seed(seed);
        if (limit > 0) {
            b.numExamples(limit);
        }
        IdxDataSetIterator it = b.build();
        it.setPreProcessor(new MixupSoftLabels(mixupAlpha, seed));
        return it;
    }

    /** Test accuracy of {@code net} on the first {@code limit} test examples (0: all). */
    public static double accuracy(MultiLayerNetwork net, MnistData test, int limit) {
        IdxDataSetIterator.Builder b = IdxDataSetIterator.builder(test).batchSize(1000).shuffle(false);
        if (limit > 0) {
            b.numExamples(limit);
        }
        return net.evaluate(b.build()).accuracy();
    }

    /** Plain {@code fit}, one epoch per call. */
    public static void trainSingle(MultiLayerNetwork net, DataSetIterator train, int epochs) {
        for (int e = 0; e < epochs; e++) {
            net.fit(train);
        }
    }

    /**
     * Trains {@code net} with a {@link ParallelWrapper} of {@code workers} worker threads; on
     * return {@code net} holds the averaged parameters.
     *
     * <p>Workers call {@code fit(DataSet)}, which does not count epochs, so the epoch counter
     * (which drives the learning-rate schedule) is advanced here after each epoch, as
     * {@code fit(DataSetIterator)} does in one process; every fit builds the replicas anew from the
     * network's configuration, counter included.
     *
     * @param listeners set on every worker's model (the same instances, called from several threads)
     */
    public static void trainParallel(MultiLayerNetwork net, DataSetIterator train, int epochs, int workers,
                                     int averagingFrequency, TrainingListener... listeners) {
        ParallelWrapper wrapper = new ParallelWrapper.Builder<>(net)
                .workers(workers)
                .prefetchBuffer(4 * workers)
                .averagingFrequency(averagingFrequency)
                .reportScoreAfterAveraging(false)
                .build();
        if (listeners.length > 0) {
            wrapper.setListeners(listeners);
        }
        try {
            for (int e = 0; e < epochs; e++) {
                wrapper.fit(train);
                net.incrementEpochCount();
            }
        } finally {
            wrapper.shutdown();
        }
    }
}
