package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.XentOptions;
import io.github.xent4j.examples.data.ImageDataset;
import io.github.xent4j.examples.data.MnistData;
import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * {@link LossSoftmaxCrossEntropy} under DL4J's {@code ParallelWrapper} (2 workers, parameter
 * averaging) on an MNIST subset with mixup soft labels: every worker's model computes with the
 * full set of options, training learns, and one instance shared by concurrently training
 * networks gives bit-identical results to separate instances.
 *
 * <p>Runs in the default build: 5 to 10 s here.
 */
class ParallelWrapperTest {

    /** Every option away from its default. */
    static final XentOptions ALL = XentOptions.builder()
            .classWeights(new double[]{1.0, 0.8, 1.1, 1.2, 0.9, 1.3, 1.0, 0.7, 1.05, 1.15})
            .labelSmoothing(0.1)
            .temperature(1.5)
            .zLoss(1e-3)
            .ignoreIndex(7)
            .build();

    static final int TRAIN = 3000;
    static final int TEST = 1000;
    static final int BATCH = 50;
    static final long SEED = 42;

    static MnistData train;
    static MnistData test;

    @BeforeAll
    static void load() throws IOException {
        train = MnistData.load(ImageDataset.MNIST, true, ImageDataset.defaultRoot());
        test = MnistData.load(ImageDataset.MNIST, false, ImageDataset.defaultRoot());
    }

    /** Asserts that {@code loss} is a {@code LossSoftmaxCrossEntropy} with exactly {@link #ALL}, option by option. */
    static void assertAllOptions(ILossFunction loss, String where) {
        LossSoftmaxCrossEntropy x = assertInstanceOf(LossSoftmaxCrossEntropy.class, loss, where);
        XentOptions o = x.getOptions();
        assertArrayEquals(ALL.classWeights(), o.classWeights(), where + ": classWeights");
        assertEquals(ALL.labelSmoothing(), o.labelSmoothing(), 0.0, where + ": labelSmoothing");
        assertEquals(ALL.temperature(), o.temperature(), 0.0, where + ": temperature");
        assertEquals(ALL.zLoss(), o.zLoss(), 0.0, where + ": zLoss");
        assertEquals(ALL.ignoreIndex(), o.ignoreIndex(), where + ": ignoreIndex");
        assertEquals(ALL, o, where);
    }

    static DataSetIterator trainIterator() {
        return ParallelWrapperExample.trainIterator(train, BATCH, SEED, TRAIN, 0.2);
    }

    @Test
    void everyWorkerTrainsWithAllOptionsAndAccuracyImproves() {
        LossSoftmaxCrossEntropy loss = new LossSoftmaxCrossEntropy(ALL);
        MultiLayerNetwork net = MnistNetworks.mlp(loss, SEED);
        double before = ParallelWrapperExample.accuracy(net, test, TEST);
        LossProbe probe = new LossProbe("parallel-wrapper");
        try {
            ParallelWrapperExample.trainParallel(net, trainIterator(), 2, 2, 1, probe);

            // Two epochs, each with its own pair of workers: worker 0 trains `net` itself, worker 1
            // a replica built from the JSON configuration, made anew in every epoch.
            Map<Integer, List<LossProbe.Observation>> byModel = probe.byModel();
            assertEquals(3, byModel.size(), "models seen: net and one replica per epoch");
            int rootId = System.identityHashCode(net);
            int iterations = 0;
            for (List<LossProbe.Observation> seen : byModel.values()) {
                LossProbe.Observation first = seen.get(0);
                String where = "worker model " + first.modelId() + " on " + first.thread();
                for (LossProbe.Observation o : seen) {
                    assertAllOptions(o.loss(), where);
                    assertTrue(Double.isFinite(o.score()), where + ": score " + o.score());
                }
                if (first.modelId() == rootId) {
                    assertSame(loss, first.loss(), "worker 0 trains the network it was given");
                } else {
                    assertNotSame(loss, first.loss(), "a replica has its own instance");
                }
                iterations += seen.size();
            }
            int batches = (TRAIN + BATCH - 1) / BATCH;
            assertEquals(2 * batches, iterations, "every minibatch was trained once per epoch");

            // The network that comes back.
            assertSame(loss, MnistNetworks.outputLoss(net));
            assertAllOptions(MnistNetworks.outputLoss(net), "returned network");
            MultiLayerNetwork restored = new MultiLayerNetwork(
                    MultiLayerConfiguration.fromJson(net.getLayerWiseConfigurations().toJson()));
            restored.init();
            assertAllOptions(MnistNetworks.outputLoss(restored), "returned network's JSON configuration");
            assertTrue(!net.params().isInfinite().any() && !net.params().isNaN().any(), "parameters are finite");
            assertEquals(2, net.getEpochCount());

            double after = ParallelWrapperExample.accuracy(net, test, TEST);
            System.out.printf(Locale.ROOT, "ParallelWrapper, 2 workers, %d examples x 2 epochs: test accuracy %.3f -> %.3f%n",
                    TRAIN, before, after);
            assertTrue(after > 0.80, "accuracy " + after);
            assertTrue(after > before + 0.5, before + " -> " + after);
        } finally {
            probe.clear();
        }
    }

    /**
     * Two networks whose output layers hold the same {@code LossSoftmaxCrossEntropy} instance,
     * trained at the same time on two threads (as data-parallel workers), give exactly what two
     * networks with separate instances (one from the JSON configuration, as ParallelWrapper's
     * replicas) give one after the other.
     *
     * <p>Only the loss is shared: each network gets its own {@code MultiLayerConfiguration}, as
     * DL4J requires (a configuration object carries the network's iteration and epoch counters,
     * which drive Adam's bias correction, so two networks on one configuration object interfere
     * whatever their loss).
     *
     * <p>ParallelWrapper itself is not compared run against run: in DL4J 1.0.0-M2.1 a replica
     * copies the first worker's parameters and updater state in its own thread when it starts,
     * racing with that worker's first minibatch, so two identical runs can differ (with
     * {@code LossMCXENT} too).
     */
    @Test
    void oneInstanceSharedByConcurrentWorkersEqualsSeparateInstances() throws Exception {
        LossSoftmaxCrossEntropy shared = new LossSoftmaxCrossEntropy(ALL);
        MultiLayerNetwork a0 = MnistNetworks.mlp(shared, SEED);
        MultiLayerNetwork a1 = MnistNetworks.mlp(shared, SEED);
        assertSame(MnistNetworks.outputLoss(a0), MnistNetworks.outputLoss(a1), "one instance");

        MultiLayerNetwork b0 = MnistNetworks.mlp(new LossSoftmaxCrossEntropy(ALL), SEED);
        MultiLayerNetwork b1 = new MultiLayerNetwork(
                MultiLayerConfiguration.fromJson(MnistNetworks.mlpConfiguration(shared, SEED).toJson()));
        b1.init();
        assertNotSame(shared, MnistNetworks.outputLoss(b0), "separate instances");
        assertNotSame(shared, MnistNetworks.outputLoss(b1), "separate instances");

        List<DataSet> shard0 = batches(1000, SEED);
        List<DataSet> shard1 = batches(1000, SEED + 1);

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> f0 = pool.submit(() -> fitAll(a0, shard0));
            Future<?> f1 = pool.submit(() -> fitAll(a1, shard1));
            f0.get();
            f1.get();
        } finally {
            pool.shutdown();
        }
        fitAll(b0, shard0);
        fitAll(b1, shard1);

        assertEquals(0.0, a0.params().sub(b0.params()).amaxNumber().doubleValue(), 0.0, "worker 0");
        assertEquals(0.0, a1.params().sub(b1.params()).amaxNumber().doubleValue(), 0.0, "worker 1");
        assertTrue(a0.params().sub(a1.params()).amaxNumber().doubleValue() > 0, "the shards differ");
        assertAllOptions(shared, "shared instance after training");
    }

    private static List<DataSet> batches(int n, long seed) {
        DataSetIterator it = ParallelWrapperExample.trainIterator(train, BATCH, seed, n, 0.2);
        List<DataSet> out = new ArrayList<>();
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    private static void fitAll(MultiLayerNetwork net, List<DataSet> batches) {
        for (DataSet ds : batches) {
            net.fit(ds);
        }
    }
}
