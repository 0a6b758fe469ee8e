package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KernelPathsTest {

    @Test
    void theTestJvmsHaveBothPaths() {
        // the pom starts the tests with --add-modules jdk.incubator.vector
        List<String> names = KernelPaths.available().stream().map(KernelPath::name).collect(Collectors.toList());
        assertEquals(List.of("nd4j", "vector"), names.subList(0, 2));
        // then the fused kernel at each narrower width down to 128 bits
        int widest = selectedBits();
        List<String> narrower = new java.util.ArrayList<>();
        for (int b = widest / 2; b >= 128; b /= 2) {
            narrower.add("vector-" + b);
        }
        assertEquals(narrower, names.subList(2, names.size()));
        assertEquals(KernelPaths.selected(), KernelPaths.available().get(1), "the selected path is the first vector path");
    }

    @Test
    void nd4jCanAlwaysBeForced() {
        assertEquals("nd4j", KernelPaths.select("nd4j").name());
    }

    @Test
    void anUnknownModeNamesTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelPaths.select("fast"));
        assertTrue(e.getMessage().contains("auto, vector or nd4j"), e.getMessage());
        assertTrue(e.getMessage().contains("'fast'"), e.getMessage());
    }

    /** The selected fused kernel's width, from its toString (tests are compiled without the incubator module). */
    private static int selectedBits() {
        String s = KernelPaths.selected().toString();              // "Vector API, 512-bit vectors (...)"
        return Integer.parseInt(s.replaceAll(".*?(\\d+)-bit.*", "$1"));
    }
}
