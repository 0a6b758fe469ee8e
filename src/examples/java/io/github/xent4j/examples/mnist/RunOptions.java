package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code train} and {@code distill}. */
final class RunOptions {

    @Option(names = "--epochs", paramLabel = "N",
            description = "Total number of epochs (with --resume: train until this many are done). "
                    + "Default: 10 for mlp and student, 6 for lenet.")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "128",
            description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.001",
            description = "Adam's initial learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-decay", paramLabel = "GAMMA", defaultValue = "0.8",
            description = "Multiply the learning rate by this after every epoch, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double lrDecay;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
            description = "Seed of the weights, the data order and every random number (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "mnist",
            description = "mnist or fashion (default: ${DEFAULT-VALUE}); fetched and verified on first use.")
    ImageDataset dataset;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0",
            description = "Train on the first N training examples only (default: all 60,000).")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0",
            description = "Evaluate on the first N test examples only (default: all 10,000).")
    int testLimit;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Model and checkpoint file, rewritten atomically after every epoch "
                    + "(default: target/mnist/<model>.zip).")
    Path output;

    @Option(names = "--resume",
            description = "Continue from the checkpoint at --output: same configuration, from the epoch after "
                    + "the last one saved. Only --epochs (and output, display, thread options) may change.")
    boolean resume;

    @Option(names = "--metrics-out", paramLabel = "FILE",
            description = "Write metrics and configuration as JSON here.")
    Path metricsOut;

    @Option(names = "--plots", paramLabel = "DIR",
            description = "Write training-curves.png and confusion-matrix.png into this directory.")
    Path plots;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "Progress display on stderr: auto (a bar on a terminal, else a line every 10 s), "
                    + "bar, lines or none (default: ${DEFAULT-VALUE}).")
    Progress.Mode progress;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads for ND4J's native ops (default: " + Runs.DEFAULT_THREADS_TEXT + ").")
    Integer threads;
}
