package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.loss.LossReduce;

/** The reduction codes are part of the saved-graph format: fixed numbers, independent of ND4J's enum. */
class CrossEntropyArgsTest {
    /** The codes as documented (and as xent4j 0.1.0 stored them). */
    private static final Map<LossReduce, Integer> CODES = Map.of(
            LossReduce.NONE, 0, LossReduce.SUM, 1, LossReduce.MEAN_BY_WEIGHT, 2,
            LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 3);

    @Test
    void everyReductionHasItsDocumentedCodeAndComesBack() {
        assertEquals(LossReduce.values().length, CODES.size(), "ND4J added a LossReduce value: give it a new code");
        for (Map.Entry<LossReduce, Integer> e : CODES.entrySet()) {
            assertEquals((int) e.getValue(), CrossEntropyArgs.reduceCode(e.getKey()), e.getKey().toString());
            assertEquals(e.getKey(), CrossEntropyArgs.reduce(e.getValue(), "op"), "code " + e.getValue());
        }
    }

    @Test
    void anUnknownCodeInAGraphIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CrossEntropyArgs.reduce(7, SoftmaxCrossEntropyOp.OP_NAME));
        assertTrue(e.getMessage().contains(SoftmaxCrossEntropyOp.OP_NAME) && e.getMessage().contains("7"), e.getMessage());
    }
}
