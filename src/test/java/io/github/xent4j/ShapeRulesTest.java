package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The shared shape rules, including the unknown sizes (-1) of SameDiff placeholders. */
class ShapeRulesTest {
    @Test
    void labelsAndMasksOfEveryKind() {
        long[] z = {4, 3};
        assertEquals(ShapeRules.SOFT_LABELS, ShapeRules.labelsKind(new long[]{4, 3}, z, ""));
        assertEquals(ShapeRules.CLASS_IDS, ShapeRules.labelsKind(new long[]{4, 1}, z, ""));
        assertEquals(ShapeRules.CLASS_IDS, ShapeRules.labelsKind(new long[]{4}, z, ""));
        assertEquals(ShapeRules.SOFT_LABELS, ShapeRules.labelsKind(new long[]{4, 1}, new long[]{4, 1}, ""), "K = 1");
        assertEquals(ShapeRules.MASK_PER_EXAMPLE, ShapeRules.maskKind(new long[]{4, 1}, z, ""));
        assertEquals(ShapeRules.MASK_PER_EXAMPLE, ShapeRules.maskKind(new long[]{4}, z, ""));
        assertEquals(ShapeRules.MASK_PER_OUTPUT, ShapeRules.maskKind(new long[]{4, 3}, z, ""));
        assertEquals(ShapeRules.SOFT_LABELS, ShapeRules.labelsKind(new long[]{0, 3}, new long[]{0, 3}, ""), "N = 0");
    }

    @Test
    void unknownSizesMatchAnythingAndAreNamedInMessages() {
        long[] z = {-1, 10};
        assertEquals(ShapeRules.SOFT_LABELS, ShapeRules.labelsKind(new long[]{-1, 10}, z, ""));
        assertEquals(ShapeRules.CLASS_IDS, ShapeRules.labelsKind(new long[]{-1}, z, ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapeRules.labelsKind(new long[]{-1, 9}, z, " (variable y)"));
        assertEquals("labels shape [-1, 9] does not match logits [-1, 10]: expected soft labels [N, 10] or class ids "
                + "[N, 1] or [N] (variable y)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShapeRules.maskKind(new long[]{3, 2}, new long[]{3, 4}, ""));
        assertEquals("mask shape [3, 2] does not match logits [3, 4]: expected per-example [3, 1] or [3], or per-output "
                + "[3, 4]", e.getMessage());
        ShapeRules.checkClassWeightCount(3, -1);
        assertThrows(IllegalArgumentException.class, () -> ShapeRules.checkClassWeightCount(3, 4));
    }

    @Test
    void dimensionsAndRank() {
        assertEquals(2, ShapeRules.checkDimension("x", new long[]{2, 3, 4}, -1, ""));
        assertEquals(0, ShapeRules.checkDimension("x", new long[]{2, 3, 4}, 0, ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapeRules.checkDimension("x", new long[]{2, 3}, 2, " (variable v)"));
        assertEquals("dimension must be in [-2, 1] for x of shape [2, 3] (variable v), got 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShapeRules.checkLogitsRank(new long[]{2, 3, 1}, ""));
        assertEquals("logits must have rank 2, shape [N, K], got rank 3 with shape [2, 3, 1]", e.getMessage());
    }
}
