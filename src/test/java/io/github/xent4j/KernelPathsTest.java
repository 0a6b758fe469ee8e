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
        assertEquals(List.of("nd4j", "vector"), names);
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
}
