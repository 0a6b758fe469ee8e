package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import static io.github.xent4j.examples.scaleout.ParallelWrapperTest.ALL;
import static io.github.xent4j.examples.scaleout.ParallelWrapperTest.assertAllOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.examples.data.ImageDataset;
import io.github.xent4j.examples.data.MnistData;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LossSoftmaxCrossEntropy} with every option set, trained by DL4J's Spark glue
 * ({@code SparkDl4jMultiLayer}, {@code ParameterAveragingTrainingMaster}) in {@code local[2]} on
 * an MNIST subset with mixup soft labels: the executors' networks and the network that comes
 * back compute with all the options, and training learns. Runs only with {@code -Pspark}.
 */
class SparkTrainingTest {

    static final int TRAIN = 1600;
    static final int TEST = 1000;
    static final int BATCH = 32;
    static final int AVERAGING_FREQUENCY = 10;
    static final int EPOCHS = 2;
    static final long SEED = 42;

    static MnistData train;
    static MnistData test;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws IOException {
        train = MnistData.load(ImageDataset.MNIST, true, ImageDataset.defaultRoot());
        test = MnistData.load(ImageDataset.MNIST, false, ImageDataset.defaultRoot());
        sc = SparkExample.context(2);
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.close();
        }
    }

    @Test
    void parameterAveragingKeepsEveryOptionAndLearns() {
        assertEquals("127.0.0.1", sc.getConf().get("spark.driver.host"));
        assertEquals("127.0.0.1", sc.getConf().get("spark.driver.bindAddress"));
        assertEquals("false", sc.getConf().get("spark.ui.enabled"));
        assertTrue(sc.sc().uiWebUrl().isEmpty(), "no web UI");

        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        MultiLayerNetwork net = MnistNetworks.mlp(loss, SEED);
        double before = ParallelWrapperExample.accuracy(net, test, TEST);
        LossProbe probe = new LossProbe("spark");
        try {
            long t0 = System.nanoTime();
            MultiLayerNetwork trained = SparkExample.train(sc, net,
                    ParallelWrapperExample.trainIterator(train, BATCH, SEED, TRAIN, 0.2),
                    EPOCHS, BATCH, AVERAGING_FREQUENCY, SEED, probe);
            double seconds = (System.nanoTime() - t0) / 1e9;

            // The executors' networks: each task builds its own from the broadcast configuration.
            // In local[n] the broadcast is the driver's object itself, not a deserialized copy,
            // and DL4J's configuration clone keeps the loss by reference, so the two concurrent
            // tasks compute with the driver's instance; on a cluster each executor deserializes
            // its own (SparkSerializationTest checks that path).
            Map<Integer, List<LossProbe.Observation>> byModel = probe.byModel();
            int batches = (TRAIN + BATCH - 1) / BATCH;
            int rounds = (batches + 2 * AVERAGING_FREQUENCY - 1) / (2 * AVERAGING_FREQUENCY);
            assertTrue(byModel.size() >= EPOCHS * rounds, byModel.size() + " executor networks");
            int iterations = 0;
            for (List<LossProbe.Observation> seen : byModel.values()) {
                for (LossProbe.Observation o : seen) {
                    String where = "executor network " + o.modelId() + " on " + o.thread();
                    assertAllOptions(o.loss(), where);
                    assertTrue(o.thread().startsWith("Executor task launch worker"), where);
                    assertTrue(Double.isFinite(o.score()), where + ": score " + o.score());
                }
                iterations += seen.size();
            }
            // DL4J splits each epoch's RDD at random into chunks of about workers x averagingFrequency
            // minibatches, and a worker fits at most averagingFrequency of its share: some
            // minibatches of an epoch are left out.
            assertTrue(iterations <= EPOCHS * batches && iterations >= EPOCHS * batches / 2,
                    iterations + " of " + EPOCHS * batches + " minibatches trained");

            // The network that comes back: the driver's network with the averaged parameters.
            assertSame(net, trained);
            assertSame(loss, MnistNetworks.outputLoss(trained));
            assertAllOptions(MnistNetworks.outputLoss(trained), "returned network");
            MultiLayerNetwork restored = new MultiLayerNetwork(
                    MultiLayerConfiguration.fromJson(trained.getLayerWiseConfigurations().toJson()));
            restored.init();
            assertAllOptions(MnistNetworks.outputLoss(restored), "returned network's JSON configuration");
            assertTrue(!trained.params().isInfinite().any() && !trained.params().isNaN().any(), "finite parameters");
            assertEquals(EPOCHS, trained.getEpochCount());

            double after = ParallelWrapperExample.accuracy(trained, test, TEST);
            System.out.printf(Locale.ROOT, "Spark local[2], %d examples x %d epochs, batch %d, averaging every %d: "
                    + "test accuracy %.3f -> %.3f, %d executor networks, %d of %d minibatches trained, training %.1f s%n",
                    TRAIN, EPOCHS, BATCH, AVERAGING_FREQUENCY, before, after, byModel.size(), iterations,
                    EPOCHS * batches, seconds);
            assertTrue(after > 0.70, "accuracy " + after);
            assertTrue(after > before + 0.4, before + " -> " + after);
        } finally {
            probe.clear();
        }
    }
}
