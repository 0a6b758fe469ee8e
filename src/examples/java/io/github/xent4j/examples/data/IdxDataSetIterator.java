package io.github.xent4j.examples.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;

/**
 * A {@link DataSetIterator} over an in-memory {@link MnistData}, with reproducible shuffling.
 *
 * <p>Each minibatch is a {@link DataSet} of fresh arrays (a preprocessor may modify them
 * freely): features FLOAT {@code [B, 784]} in [0, 1], labels FLOAT one-hot {@code [B, 10]},
 * or class ids {@code [B, 1]} with {@link Builder#classIndexLabels(boolean)}. {@code B} is the
 * batch size, except for a smaller last batch when it does not divide the example count.
 * Rows are gathered by a native op ({@link Nd4j#pullRows}); nothing is copied per element
 * in Java.
 *
 * <p><b>Order.</b> Epoch {@code e} visits every example exactly once, in a permutation that
 * depends only on {@code (seed, e)}: the same seed gives the same batches in every run, and
 * each epoch a different order. The first epoch is 0; {@link #reset()} starts the next one.
 * A {@code reset()} before any batch of the current epoch was taken does nothing, so callers
 * (such as DL4J's {@code fit}) that reset defensively do not skip epochs. With shuffling off,
 * every epoch is in file order.
 *
 * <p><b>Subset.</b> {@link Builder#numExamples(int)} keeps only the first {@code n} examples
 * (before shuffling), for quick runs and notebooks.
 *
 * <p><b>Resuming.</b> Because an epoch's order depends only on {@code (seed, epoch)},
 * {@link Builder#startEpoch(int)} makes an iterator whose batches are exactly those a
 * long-running one would hand out from that epoch on: training resumed from a checkpoint sees
 * the same data in the same order as an uninterrupted run.
 *
 * <p><b>Other labels.</b> {@link Builder#labels(INDArray)} hands out rows of any {@code [N, L]}
 * array instead of the one-hot labels, gathered with the same permutation as the features (for
 * example teacher soft labels next to the one-hot labels, for distillation).
 *
 * <p>Supports {@linkplain #resetSupported() reset} and DL4J's asynchronous prefetching
 * ({@link #asyncSupported()} is true; {@code MultiLayerNetwork.fit} wraps it in an
 * {@code AsyncDataSetIterator}). Not safe for use by several threads at once.
 *
 * <pre>{@code
 * MnistData train = MnistData.load(ImageDataset.MNIST, true);
 * DataSetIterator it = new IdxDataSetIterator(train, 128, 42);              // one-hot labels
 * DataSetIterator quick = IdxDataSetIterator.builder(train)
 *         .batchSize(64).seed(7).numExamples(6_400).classIndexLabels(true).build();
 * }</pre>
 */
public final class IdxDataSetIterator implements DataSetIterator {

    private static final long serialVersionUID = 1L;

    private final INDArray features;
    private final INDArray labels;
    private final List<String> labelNames;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int numExamples;

    private int epoch;
    private int cursor;
    private int[] order;
    private DataSetPreProcessor preProcessor;

    /**
     * Shuffled iteration over all examples with one-hot labels.
     *
     * @param data      the examples
     * @param batchSize examples per minibatch, positive
     * @param seed      determines the order of every epoch
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public IdxDataSetIterator(MnistData data, int batchSize, long seed) {
        this(builder(data).batchSize(batchSize).seed(seed));
    }

    private IdxDataSetIterator(Builder b) {
        MnistData data = b.data;
        if (b.batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + b.batchSize);
        }
        int n = b.numExamples == null ? data.numExamples() : b.numExamples;
        if (n < 1 || n > data.numExamples()) {
            throw new IllegalArgumentException("numExamples must be in [1, " + data.numExamples()
                    + "], got " + n);
        }
        if (b.startEpoch < 0) {
            throw new IllegalArgumentException("startEpoch must be >= 0, got " + b.startEpoch);
        }
        if (b.labels != null && (b.labels.rank() != 2 || b.labels.rows() != data.numExamples())) {
            throw new IllegalArgumentException("labels must be [" + data.numExamples() + ", L], got "
                    + Arrays.toString(b.labels.shape()));
        }
        if (b.labels != null && b.classIndexLabels) {
            throw new IllegalArgumentException("labels(...) and classIndexLabels(true) exclude each other");
        }
        this.features = data.features();
        this.labels = b.labels != null ? b.labels
                : b.classIndexLabels ? data.classIndexLabels() : data.labels();
        this.labelNames = data.labelNames();
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.numExamples = n;
        this.epoch = b.startEpoch;
        this.order = order(epoch);
    }

    /** Starts a builder: batch size 128, shuffled with seed 0, all examples, one-hot labels. */
    public static Builder builder(MnistData data) {
        return new Builder(data);
    }

    /** Options for {@link IdxDataSetIterator}. */
    public static final class Builder {
        private final MnistData data;
        private int batchSize = 128;
        private long seed;
        private boolean shuffle = true;
        private Integer numExamples;
        private boolean classIndexLabels;
        private int startEpoch;
        private INDArray labels;

        private Builder(MnistData data) {
            this.data = Objects.requireNonNull(data, "data");
        }

        /** Examples per minibatch, positive; default 128. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Seed of the per-epoch permutations; default 0. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Shuffle each epoch (default true); false keeps file order. */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Use only the first {@code numExamples} examples, in [1, N]; default all. */
        public Builder numExamples(int numExamples) {
            this.numExamples = numExamples;
            return this;
        }

        /** Labels as class ids {@code [B, 1]} instead of one-hot {@code [B, K]}; default false. */
        public Builder classIndexLabels(boolean classIndexLabels) {
            this.classIndexLabels = classIndexLabels;
            return this;
        }

        /**
         * The epoch to start at, {@code >= 0}; default 0. The first batch is the first of that
         * epoch's permutation, as if the iterator had been {@linkplain #reset() reset} that
         * many times after full epochs.
         */
        public Builder startEpoch(int startEpoch) {
            this.startEpoch = startEpoch;
            return this;
        }

        /**
         * Hands out rows of {@code labels} ({@code [N, L]}, N = all examples of the data, not
         * the subset) instead of the one-hot labels. Shared, not copied.
         */
        public Builder labels(INDArray labels) {
            this.labels = labels;
            return this;
        }

        /**
         * @throws IllegalArgumentException if the batch size is not positive,
         *                                  {@code numExamples} is outside {@code [1, N]},
         *                                  {@code startEpoch} is negative, or {@code labels}
         *                                  is not {@code [N, L]}
         */
        public IdxDataSetIterator build() {
            return new IdxDataSetIterator(this);
        }
    }

    @Override
    public boolean hasNext() {
        return cursor < numExamples;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    /**
     * The next {@code num} examples of this epoch, or fewer at its end.
     *
     * @throws IllegalArgumentException if {@code num < 1}
     * @throws NoSuchElementException   if the epoch is exhausted
     */
    @Override
    public DataSet next(int num) {
        if (num < 1) {
            throw new IllegalArgumentException("num must be positive, got " + num);
        }
        if (!hasNext()) {
            throw new NoSuchElementException("all " + numExamples + " examples of epoch " + epoch
                    + " were returned; call reset() to start the next epoch");
        }
        int end = (int) Math.min((long) cursor + num, numExamples);
        int[] rows = Arrays.copyOfRange(order, cursor, end);
        cursor = end;
        DataSet batch = new DataSet(Nd4j.pullRows(features, 1, rows), Nd4j.pullRows(labels, 1, rows));
        if (preProcessor != null) {
            preProcessor.preProcess(batch);
        }
        return batch;
    }

    /** Starts the next epoch, unless no batch of the current one was taken yet. */
    @Override
    public void reset() {
        if (cursor > 0) {
            epoch++;
            cursor = 0;
            order = order(epoch);
        }
    }

    /** The current epoch, 0 at first; the permutation in use is a function of seed and epoch. */
    public int epoch() {
        return epoch;
    }

    /** The number of examples per epoch (all, or the subset). */
    public int numExamples() {
        return numExamples;
    }

    @Override
    public int inputColumns() {
        return (int) features.columns();
    }

    @Override
    public int totalOutcomes() {
        return labelNames.size();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return true;
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return labelNames;
    }

    private int[] order(int forEpoch) {
        int[] rows = new int[numExamples];
        Arrays.setAll(rows, i -> i);
        if (shuffle) {
            // Fisher-Yates over row indices (not pixels); the generator is seeded from
            // (seed, epoch) alone, so an epoch's order never depends on what came before.
            Random random = new Random(mix64(mix64(seed) + forEpoch));
            for (int i = rows.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = rows[i];
                rows[i] = rows[j];
                rows[j] = t;
            }
        }
        return rows;
    }

    // SplitMix64's finaliser: nearby (seed, epoch) pairs give unrelated generator seeds.
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
