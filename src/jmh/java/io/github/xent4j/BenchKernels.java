package io.github.xent4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The benchmarks' view of the kernel selection, which is package-private in the library: which
 * path {@code -Dxent4j.kernel} chose in this JVM, and which paths can run here.
 */
public final class BenchKernels {
    private BenchKernels() {
    }

    /** {@code "nd4j"} or {@code "vector"}: the path the facade runs in this JVM. */
    public static String selected() {
        return KernelPaths.selected().name();
    }

    /**
     * Fails unless the facade runs {@code expected}, so that a benchmark never reports one path's
     * time under the other's name (for example when the fork lacks {@code -Dxent4j.kernel}).
     */
    public static void require(String expected) {
        String actual = selected();
        if (!actual.equals(expected)) {
            throw new IllegalStateException("benchmark parameter kernel=" + expected + ", but xent4j runs the "
                    + actual + " path (start the JVM with -Dxent4j.kernel=" + expected + ")");
        }
    }

    /** Every path that can run in this JVM: name to description (the vector path names its species). */
    public static Map<String, String> available() {
        Map<String, String> paths = new LinkedHashMap<>();
        for (KernelPath p : KernelPaths.available()) {
            paths.put(p.name(), p.name().equals("nd4j") ? "ND4J native ops" : p.toString());
        }
        return paths;
    }
}
