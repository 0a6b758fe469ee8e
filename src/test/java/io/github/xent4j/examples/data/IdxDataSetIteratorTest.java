package io.github.xent4j.examples.data;

import org.deeplearning4j.datasets.iterator.AsyncDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxDataSetIteratorTest {

    private static final int N = 10;
    private static final List<String> NAMES = List.of("c0", "c1", "c2", "c3");

    /** Example i has features [i, 100+i, 200+i] and class i % 4, so a row identifies its example. */
    private static MnistData data() {
        float[][] rows = new float[N][];
        int[] classes = new int[N];
        for (int i = 0; i < N; i++) {
            rows[i] = new float[]{i, 100 + i, 200 + i};
            classes[i] = i % NAMES.size();
        }
        return new MnistData(Nd4j.createFromArray(rows), classes, NAMES);
    }

    /** Consumes the rest of the current epoch; returns the example ids in order, checking each batch. */
    private static List<Integer> drain(DataSetIterator it) {
        List<Integer> ids = new ArrayList<>();
        while (it.hasNext()) {
            DataSet batch = it.next();
            INDArray f = batch.getFeatures();
            INDArray l = batch.getLabels();
            for (int r = 0; r < f.rows(); r++) {
                int id = (int) f.getFloat(r, 0);
                assertEquals(100 + id, f.getFloat(r, 1), 0f, "row scrambled");
                int expectedClass = id % NAMES.size();
                if (l.columns() == 1) {
                    assertEquals(expectedClass, l.getFloat(r, 0), 0f, "label of example " + id);
                } else {
                    assertEquals(expectedClass, l.getRow(r).argMax().getInt(0), "label of example " + id);
                    assertEquals(1.0, l.getRow(r).sumNumber().doubleValue(), 0.0);
                }
                ids.add(id);
            }
        }
        return ids;
    }

    private static void assertPermutation(List<Integer> ids, int n) {
        assertEquals(n, ids.size(), "examples per epoch: " + ids);
        List<Integer> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        for (int i = 0; i < n; i++) {
            assertEquals(i, sorted.get(i), "each example exactly once: " + ids);
        }
    }

    @Test
    void batchShapesWithPartialLastBatch() {
        IdxDataSetIterator it = new IdxDataSetIterator(data(), 4, 1);
        List<long[]> featureShapes = new ArrayList<>();
        List<long[]> labelShapes = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            assertEquals(DataType.FLOAT, ds.getFeatures().dataType());
            featureShapes.add(ds.getFeatures().shape());
            labelShapes.add(ds.getLabels().shape());
        }
        assertArrayEquals(new long[][]{{4, 3}, {4, 3}, {2, 3}}, featureShapes.toArray(new long[0][]));
        assertArrayEquals(new long[][]{{4, 4}, {4, 4}, {2, 4}}, labelShapes.toArray(new long[0][]));
        assertThrows(NoSuchElementException.class, it::next);
        assertEquals(3, it.inputColumns());
        assertEquals(4, it.totalOutcomes());
        assertEquals(4, it.batch());
        assertEquals(NAMES, it.getLabels());
        assertTrue(it.resetSupported());
        assertTrue(it.asyncSupported());
    }

    @Test
    void classIndexLabels() {
        IdxDataSetIterator it = IdxDataSetIterator.builder(data()).batchSize(3).classIndexLabels(true).build();
        assertArrayEquals(new long[]{3, 1}, it.next().getLabels().shape());
        assertEquals(4, it.totalOutcomes());
        it.reset();
        assertPermutation(drain(it), N);
    }

    @Test
    void everyExampleOncePerEpochAndNewOrderEachEpoch() {
        IdxDataSetIterator it = new IdxDataSetIterator(data(), 3, 42);
        List<List<Integer>> epochs = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
            assertEquals(e, it.epoch());
            List<Integer> ids = drain(it);
            assertPermutation(ids, N);
            epochs.add(ids);
            it.reset();
        }
        assertEquals(4, epochs.stream().distinct().count(), "each epoch a different order: " + epochs);
    }

    @Test
    void sameSeedSameBatchesDifferentSeedDifferent() {
        List<Integer> first = drain(new IdxDataSetIterator(data(), 4, 7));
        List<Integer> again = drain(new IdxDataSetIterator(data(), 4, 7));
        List<Integer> other = drain(new IdxDataSetIterator(data(), 4, 8));
        assertEquals(first, again);
        assertNotEquals(first, other);

        // Epoch 1's order depends only on (seed, 1), not on how epoch 0 was consumed.
        IdxDataSetIterator a = new IdxDataSetIterator(data(), 4, 7);
        a.next();
        a.reset();
        IdxDataSetIterator b = new IdxDataSetIterator(data(), 2, 7);
        drain(b);
        b.reset();
        assertEquals(drain(b), drain(a));
    }

    @Test
    void resetBeforeAnyBatchKeepsTheEpoch() {
        IdxDataSetIterator it = new IdxDataSetIterator(data(), 4, 3);
        it.reset();
        it.reset();
        assertEquals(0, it.epoch());
        assertEquals(drain(new IdxDataSetIterator(data(), 4, 3)), drain(it));
        it.reset();
        assertEquals(1, it.epoch());
    }

    @Test
    void subsetTakesTheFirstExamples() {
        IdxDataSetIterator it = IdxDataSetIterator.builder(data()).batchSize(4).seed(5).numExamples(7).build();
        assertEquals(7, it.numExamples());
        List<Integer> ids = drain(it);
        assertPermutation(ids, 7);
        assertThrows(IllegalArgumentException.class,
                () -> IdxDataSetIterator.builder(data()).numExamples(N + 1).build());
        assertThrows(IllegalArgumentException.class,
                () -> IdxDataSetIterator.builder(data()).numExamples(0).build());
    }

    @Test
    void unshuffledIsFileOrder() {
        IdxDataSetIterator it = IdxDataSetIterator.builder(data()).batchSize(4).shuffle(false).build();
        List<Integer> expected = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(expected, drain(it));
        it.reset();
        assertEquals(expected, drain(it));
    }

    @Test
    void preProcessorRunsOnCopiesNotOnTheData() {
        MnistData data = data();
        IdxDataSetIterator it = new IdxDataSetIterator(data, 5, 1);
        it.setPreProcessor(ds -> ds.getFeatures().muli(0));
        assertEquals(0.0, it.next().getFeatures().sumNumber().doubleValue(), 0.0);
        assertEquals(N * (0 + 100 + 200) + 3 * 45, data.features().sumNumber().doubleValue(), 0.0,
                "the source data must not change");
        assertTrue(it.getPreProcessor() != null);
    }

    @Test
    void startEpochGivesTheSameBatchesAsResettingThatOften() {
        IdxDataSetIterator longRun = new IdxDataSetIterator(data(), 3, 11);
        drain(longRun);
        longRun.reset();
        drain(longRun);
        longRun.reset();
        List<Integer> epoch2 = drain(longRun);
        IdxDataSetIterator resumed = IdxDataSetIterator.builder(data()).batchSize(3).seed(11).startEpoch(2).build();
        assertEquals(2, resumed.epoch());
        assertEquals(epoch2, drain(resumed));
        assertThrows(IllegalArgumentException.class,
                () -> IdxDataSetIterator.builder(data()).startEpoch(-1).build());
    }

    @Test
    void customLabelsFollowTheirRows() {
        // Label row i is [i, -i]: each batch's labels must belong to its features' examples.
        float[][] rows = new float[N][];
        for (int i = 0; i < N; i++) {
            rows[i] = new float[]{i, -i};
        }
        IdxDataSetIterator it = IdxDataSetIterator.builder(data()).batchSize(4).seed(3)
                .labels(Nd4j.createFromArray(rows)).build();
        int seen = 0;
        while (it.hasNext()) {
            DataSet batch = it.next();
            assertEquals(2, batch.getLabels().columns());
            for (int r = 0; r < batch.numExamples(); r++) {
                assertEquals(batch.getFeatures().getFloat(r, 0), batch.getLabels().getFloat(r, 0), 0f);
                assertEquals(-batch.getFeatures().getFloat(r, 0), batch.getLabels().getFloat(r, 1), 0f);
                seen++;
            }
        }
        assertEquals(N, seen);
        assertThrows(IllegalArgumentException.class, () -> IdxDataSetIterator.builder(data())
                .labels(Nd4j.zeros(DataType.FLOAT, N - 1, 2)).build());
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IdxDataSetIterator(data(), 0, 1));
        assertTrue(e.getMessage().contains("batchSize must be positive, got 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new IdxDataSetIterator(data(), 2, 1).next(0));
    }

    @Test
    void asyncWrapperSeesTheSameBatches() {
        IdxDataSetIterator plain = new IdxDataSetIterator(data(), 3, 11);
        IdxDataSetIterator backing = new IdxDataSetIterator(data(), 3, 11);
        DataSetIterator async = new AsyncDataSetIterator(backing, 2);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> viaAsync = drain(async);
            assertPermutation(viaAsync, N);
            assertEquals(drain(plain), viaAsync, "epoch " + epoch);
            async.reset();
            plain.reset();
        }
    }

    @Test
    void multiLayerNetworkFitsForSeveralEpochs() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(1).updater(new Sgd(0.01)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(3).nOut(4).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        IdxDataSetIterator it = new IdxDataSetIterator(data(), 4, 1);

        net.fit(it, 3);

        // fit wraps the iterator asynchronously and resets it between epochs: 3 epochs, 3 batches each.
        assertEquals(9, net.getIterationCount());
        assertEquals(3, net.getEpochCount());
        assertFalse(Double.isNaN(net.score()));
        assertEquals(2, it.epoch(), "one reset between consecutive epochs");
    }
}
