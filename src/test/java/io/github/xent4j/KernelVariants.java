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
 * (the fused Vector API kernel where this JVM can run it), and the ND4J path once per internal
 * strategy (host rows, native ops), whatever the input's size and
 * the thread count. Use {@link #forEach} inside a test, or
 * {@code @ParameterizedClass @MethodSource("io.github.xent4j.KernelVariants#paths")} with a
 * {@code @Parameter KernelPath path} field to run a whole test class on each.
 */
public final class KernelVariants {
    private static final List<KernelPath> ALL = build();

    private KernelVariants() {
    }

    private static List<KernelPath> build() {
        List<KernelPath> list = new ArrayList<>();
        for (KernelPath p : KernelPaths.available()) {
            if (p instanceof Nd4jKernelPath) {
                list.add(new Nd4jKernelPath(Nd4jKernelPath.Strategy.HOST));
                list.add(new Nd4jKernelPath(Nd4jKernelPath.Strategy.NATIVE));
            } else {
                list.add(p);
            }
        }
        return Collections.unmodifiableList(list);
    }

    /** Every variant, the ND4J strategies first. */
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
