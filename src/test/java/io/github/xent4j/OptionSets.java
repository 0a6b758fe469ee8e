package io.github.xent4j;

import java.util.Random;

/** Named option sets that switch each option on alone, then all together. */
public final class OptionSets {
    public static final String[] NAMES = {"plain", "weights", "smoothing", "temperature", "zloss", "all"};

    private OptionSets() {
    }

    /** The options called {@code name}, with class weights of length {@code k} drawn from {@code rnd}. */
    public static XentOptions of(String name, int k, Random rnd) {
        switch (name) {
            case "plain":
                return XentOptions.defaults();
            case "weights":
                return XentOptions.builder().classWeights(TestArrays.positiveWeights(rnd, k)).build();
            case "smoothing":
                return XentOptions.builder().labelSmoothing(0.1).build();
            case "temperature":
                return XentOptions.builder().temperature(2.5).build();
            case "zloss":
                return XentOptions.builder().zLoss(0.02).build();
            case "all":
                return XentOptions.builder().classWeights(TestArrays.positiveWeights(rnd, k)).labelSmoothing(0.15)
                        .temperature(0.8).zLoss(0.01).build();
            default:
                throw new IllegalArgumentException(name);
        }
    }
}
