package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.IdxDataSetIterator;
import io.github.xent4j.examples.data.MnistData;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop shared by {@code train}, {@code distill} and the experiments, for every
 * {@link Engine}.
 *
 * <p>Per epoch: minibatches in the order of {@link IdxDataSetIterator} for {@code (seed, epoch)},
 * one optimiser step each, a progress display; then evaluation on the test set and, when an
 * output path is set, a checkpoint written atomically ({@link Checkpoint}).
 *
 * <h2>Resuming</h2>
 * A run resumed from the checkpoint of epoch {@code k} continues with epoch {@code k + 1} and
 * is identical to an uninterrupted run (the tests check the parameters bit for bit), because
 * everything a step depends on is either in the checkpoint or a function of {@code (seed, epoch)}:
 * <ul>
 *   <li>in the checkpoint: parameters, Adam's moment estimates, DL4J's iteration and epoch
 *       counters (Adam's bias correction and the learning-rate schedule read them), the
 *       configuration, the history of losses and accuracies;</li>
 *   <li>recomputed: the data order of epoch {@code e} (a permutation seeded by
 *       {@code (seed, e)}), and ND4J's random generator, reseeded from {@code (seed, e)} at the
 *       start of every epoch (the example networks draw no random numbers while training, but a
 *       dropout layer added to them would then resume exactly too).</li>
 * </ul>
 * Not reproduced: the work of an epoch interrupted part-way (it is redone from its start) and
 * wall-clock timings. Results are bit-identical only for the same number of threads and the same
 * nd4j-native build: a different thread count or CPU variant sums in a different order.
 */
public final class Trainer {

    /** Data for one run: the (possibly limited) splits and, for distillation, the training labels. */
    public record Data(MnistData train, MnistData test, INDArray trainLabels) {
    }

    /** Called after every optimiser step; tests use it to simulate an interruption. */
    @FunctionalInterface
    public interface StepHook {
        void afterStep(int epoch, int batch);
    }

    /**
     * Where results go and how progress is shown.
     *
     * @param checkpoint the checkpoint path (also the final model), or {@code null} for none
     * @param resume     continue from {@code checkpoint} (which must exist)
     * @param progress   progress display mode
     * @param out        per-epoch lines
     * @param err        progress display and the interruption notice
     * @param hook       called after every step, or {@code null}
     */
    public record Options(Path checkpoint, boolean resume, Progress.Mode progress, PrintStream out, PrintStream err,
                          StepHook hook) {
    }

    /**
     * The outcome of a run.
     *
     * @param model       the trained model
     * @param evaluation  on the test set (or its subset) after the last epoch
     * @param history     every epoch, including those done before a resume
     * @param batchLosses every minibatch loss, including those before a resume
     */
    public record Result(TrainConfig config, TrainableModel model, Evaluation evaluation, List<EpochStats> history,
                         List<Double> batchLosses) {

        public double testAccuracy() {
            return evaluation.accuracy();
        }

        /** Seconds spent in optimiser steps over all epochs. */
        public double trainSeconds() {
            return history.stream().mapToDouble(EpochStats::fitSeconds).sum();
        }

        /** Training examples per second over all epochs. */
        public double examplesPerSecond() {
            return history.stream().mapToLong(EpochStats::examples).sum() / trainSeconds();
        }
    }

    private static final int EVAL_BATCH = 1000;

    private Trainer() {
    }

    /**
     * Trains (or continues training) {@code config} on {@code data}.
     *
     * @param command {@code train} or {@code distill}, recorded in the checkpoint
     */
    public static Result run(String command, TrainConfig config, Data data, Options options) throws IOException {
        Engine engine = Engines.forName(config.engine());
        TrainableModel model;
        List<EpochStats> history = new ArrayList<>();
        List<Double> batchLosses = new ArrayList<>();
        int start = 0;
        if (options.resume()) {
            Checkpoint.State state = Checkpoint.readState(options.checkpoint());
            if (state == null) {
                throw new IOException(options.checkpoint() + " has no training state (" + Checkpoint.STATE_ENTRY
                        + "); it was not written by this example and cannot be resumed");
            }
            model = engine.restore(options.checkpoint(), state.config());
            start = state.epochsDone();
            history.addAll(state.history());
            batchLosses.addAll(state.batchLosses());
            if (model.epochCount() != start) {
                throw new IOException(options.checkpoint() + ": the model counts " + model.epochCount()
                        + " epochs but the training state " + start);
            }
            options.out().printf(Locale.ROOT, "resuming %s from %s after epoch %d of %d%n", config.describe(),
                    options.checkpoint(), start, config.epochs());
        } else {
            model = engine.create(config);
        }
        options.out().printf(Locale.ROOT, "%s: %s%n", config.describe(), model.describe());

        int n = data.train().numExamples();
        Interruption notice = new Interruption(options, start);
        Runtime.getRuntime().addShutdownHook(notice.thread);
        Evaluation evaluation = null;
        try {
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                notice.epoch = epoch + 1;
                Nd4j.getRandom().setSeed(mix(config.seed(), epoch));
                IdxDataSetIterator it = IdxDataSetIterator.builder(data.train())
                        .batchSize(config.batchSize()).seed(config.seed()).startEpoch(epoch)
                        .labels(data.trainLabels()).build();
                double lr = config.learningRate() * Math.pow(config.lrDecay(), epoch);
                double lossSum = 0;
                long seen = 0;
                int batch = 0;
                long fitNanos = 0;
                String task = String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, config.epochs());
                try (Progress progress = Progress.start(options.progress(), task, n, options.err())) {
                    while (it.hasNext()) {
                        DataSet ds = it.next();
                        long t0 = System.nanoTime();
                        double loss = model.fit(ds.getFeatures(), ds.getLabels());
                        fitNanos += System.nanoTime() - t0;
                        int b = ds.numExamples();
                        lossSum += loss * b;
                        seen += b;
                        batchLosses.add(loss);
                        progress.step(b, loss);
                        if (options.hook() != null) {
                            options.hook().afterStep(epoch + 1, ++batch);
                        }
                    }
                }
                model.endEpoch();
                evaluation = evaluate(model, data.test());
                EpochStats stats = new EpochStats(epoch + 1, lossSum / seen, evaluation.accuracy(), fitNanos / 1e9,
                        seen, lr);
                history.add(stats);
                if (options.checkpoint() != null) {
                    Checkpoint.write(options.checkpoint(), model, new Checkpoint.State(command, config, epoch + 1,
                            history, batchLosses));
                    notice.saved = epoch + 1;
                }
                options.out().printf(Locale.ROOT, "epoch %d/%d: train loss %.4f, test accuracy %.2f%%, %.1f s, "
                                + "%,.0f examples/s%s%n", epoch + 1, config.epochs(), stats.trainLoss(),
                        100 * stats.testAccuracy(), stats.fitSeconds(), stats.examplesPerSecond(),
                        options.checkpoint() == null ? "" : ", checkpoint written");
                options.out().flush();
            }
        } finally {
            Runtime.getRuntime().removeShutdownHook(notice.thread);
        }
        if (evaluation == null) {
            evaluation = evaluate(model, data.test());
        }
        return new Result(config, model, evaluation, history, batchLosses);
    }

    /** Accuracy, per-class precision and recall and the confusion matrix on {@code test}. */
    public static Evaluation evaluate(TrainableModel model, MnistData test) {
        Evaluation eval = new Evaluation(test.labelNames(), 1);
        IdxDataSetIterator it = IdxDataSetIterator.builder(test).batchSize(EVAL_BATCH).shuffle(false).build();
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray out = model.predict(ds.getFeatures());
            eval.eval(ds.getLabels(), out);
        }
        return eval;
    }

    /** The seed of ND4J's generator during epoch {@code epoch} (0-based); SplitMix64 finaliser. */
    static long mix(long seed, int epoch) {
        long z = seed * 0x9e3779b97f4a7c15L + epoch;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** On Ctrl-C, says which checkpoint is intact and how to continue. */
    private static final class Interruption implements Runnable {
        final Thread thread = new Thread(this, "xent4j-interrupt-notice");
        final Options options;
        volatile int epoch;
        volatile int saved;

        Interruption(Options options, int saved) {
            this.options = options;
            this.saved = saved;
        }

        @Override
        public void run() {
            PrintStream err = options.err();
            err.println();
            if (options.checkpoint() == null) {
                err.printf(Locale.ROOT, "interrupted during epoch %d; no checkpoint (no --output)%n", epoch);
            } else if (saved == 0) {
                err.printf(Locale.ROOT, "interrupted during epoch %d; no checkpoint was written yet%n", epoch);
            } else {
                err.printf(Locale.ROOT, "interrupted during epoch %d; %s holds epoch %d intact: add --resume to the "
                        + "same command to continue from there%n", epoch, options.checkpoint(), saved);
            }
            err.flush();
        }
    }
}
