package io.github.xent4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Every way the kernel can compute, for the tests: each path of {@link KernelPaths#available()}
 * (the ND4J path, and the fused Vector API kernel at each vector width where this JVM can run
 * it), whatever the input's size and the thread count. Use {@link #forEach} inside a test, or
 * {@code @ParameterizedClass @MethodSource("io.github.xent4j.KernelVariants#paths")} with a
 * {@code @Parameter KernelPath path} field to run a whole test class on each.
 */
public final class KernelVariants {
    private static final List<KernelPath> ALL = build();

    private KernelVariants() {
    }

    private static List<KernelPath> build() {
        return Collections.unmodifiableList(new ArrayList<>(KernelPaths.available()));
    }

    /** Every variant, the ND4J path first. */
    static List<KernelPath> all() {
        return ALL;
    }

    /** Runs the check once per variant. */
    static void forEach(Consumer<KernelPath> check) {
        for (KernelPath p : ALL) {
            check.accept(p);
        }
    }

    /** Arguments for {@code @MethodSource}: each variant, named by its {@code toString()}. */
    static Stream<Arguments> paths() {
        return ALL.stream().map(p -> Arguments.of(Named.of(p.toString(), p)));
    }
}
