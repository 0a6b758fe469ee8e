package io.github.xent4j.examples.mnist;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One finished epoch.
 *
 * @param epoch         1-based
 * @param trainLoss     mean minibatch loss over the epoch (as the loss reports it, before each step)
 * @param testAccuracy  accuracy on the test set (or its subset) after the epoch
 * @param fitSeconds    wall time spent in optimiser steps (excludes evaluation and checkpointing)
 * @param examples      training examples seen in the epoch
 * @param learningRate  the learning rate used during the epoch
 */
public record EpochStats(int epoch, double trainLoss, double testAccuracy, double fitSeconds, long examples,
                         double learningRate) {

    /** Training throughput of the epoch. */
    public double examplesPerSecond() {
        return examples / fitSeconds;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", epoch);
        m.put("train_loss", trainLoss);
        m.put("test_accuracy", testAccuracy);
        m.put("fit_seconds", fitSeconds);
        m.put("examples", examples);
        m.put("examples_per_second", examplesPerSecond());
        m.put("lr", learningRate);
        return m;
    }

    static EpochStats fromMap(Map<String, Object> m) {
        return new EpochStats(((Number) m.get("epoch")).intValue(), ((Number) m.get("train_loss")).doubleValue(),
                ((Number) m.get("test_accuracy")).doubleValue(), ((Number) m.get("fit_seconds")).doubleValue(),
                ((Number) m.get("examples")).longValue(), ((Number) m.get("lr")).doubleValue());
    }
}
