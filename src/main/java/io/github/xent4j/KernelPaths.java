package io.github.xent4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the kernel path once per JVM, from the system property {@code xent4j.kernel}:
 * <ul>
 *   <li>{@code auto} (default): the fused Vector API kernel when it can run (the JVM was started
 *       with {@code --add-modules jdk.incubator.vector} on Java 17 or later, and ND4J's backend is
 *       the CPU backend), otherwise the ND4J path;</li>
 *   <li>{@code vector}: the fused kernel, or an {@link IllegalStateException} that says why it
 *       cannot run (never a silent fallback);</li>
 *   <li>{@code nd4j}: ND4J's native ops, on any backend.</li>
 * </ul>
 * The vector path is logged once at INFO when it is selected (the user opted in with a JVM flag);
 * the ND4J path only at DEBUG, so that a program that did not ask for anything prints nothing.
 */
final class KernelPaths {
    private static final Logger LOG = LoggerFactory.getLogger(KernelPaths.class);
    /** The class of the fused kernel; it exists only in the jar's META-INF/versions/17. */
    static final String VECTOR_CLASS = "io.github.xent4j.VectorKernelPath";

    private KernelPaths() {
    }

    private static volatile KernelPath selected;

    /**
     * The path the facade runs, chosen at first use. A forced path that cannot run throws its
     * {@link IllegalStateException} at every call (not an {@code ExceptionInInitializerError}).
     */
    static KernelPath selected() {
        KernelPath p = selected;
        if (p == null) {
            synchronized (KernelPaths.class) {
                p = selected;
                if (p == null) {
                    p = select(System.getProperty("xent4j.kernel", "auto"));
                    selected = p;
                }
            }
        }
        return p;
    }

    /**
     * Every path that can run in this JVM, the ND4J path first (for tests and benchmarks): the
     * fused kernel at the width it runs at ({@code vector}) and at each narrower width down to
     * 128 bits ({@code vector-256}, {@code vector-128}), so that one machine tests the summation
     * orders of CPUs with narrower vectors.
     */
    static List<KernelPath> available() {
        List<KernelPath> paths = new ArrayList<>();
        paths.add(Nd4jKernelPath.INSTANCE);
        VectorOrReason v = loadVector();
        if (v.path != null) {
            paths.add(v.path);
            paths.addAll(Vectors.NARROWER);
        }
        return Collections.unmodifiableList(paths);
    }

    /** The fused kernel at the widths narrower than its own, made once (from VectorKernelPath.createAll()). */
    private static final class Vectors {
        static final List<KernelPath> NARROWER = narrower();

        @SuppressWarnings("unchecked")
        private static List<KernelPath> narrower() {
            try {
                List<KernelPath> all = (List<KernelPath>) Class.forName(VECTOR_CLASS).getMethod("createAll").invoke(null);
                return all.subList(1, all.size());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("loading the fused kernel failed", e);
            }
        }
    }

    static KernelPath select(String mode) {
        switch (mode) {
            case "nd4j":
                LOG.debug("xent4j kernel: nd4j (forced by -Dxent4j.kernel=nd4j)");
                return Nd4jKernelPath.INSTANCE;
            case "vector": {
                VectorOrReason v = loadVector();
                if (v.path == null) {
                    throw new IllegalStateException("-Dxent4j.kernel=vector, but the fused Vector API kernel cannot run: "
                            + v.reason);
                }
                LOG.info("xent4j kernel: vector ({})", v.path);
                return v.path;
            }
            case "auto": {
                VectorOrReason v = loadVector();
                if (v.path != null) {
                    LOG.info("xent4j kernel: vector ({})", v.path);
                    return v.path;
                }
                LOG.debug("xent4j kernel: nd4j ({})", v.reason);
                return Nd4jKernelPath.INSTANCE;
            }
            default:
                throw new IllegalArgumentException("xent4j.kernel must be auto, vector or nd4j, got '" + mode + "'");
        }
    }

    private static final class VectorOrReason {
        final KernelPath path;
        final String reason;

        VectorOrReason(KernelPath path, String reason) {
            this.path = path;
            this.reason = reason;
        }
    }

    private static volatile VectorOrReason vector;

    private static VectorOrReason loadVector() {
        VectorOrReason v = vector;
        if (v == null) {
            v = tryLoadVector();
            vector = v;
        }
        return v;
    }

    private static VectorOrReason tryLoadVector() {
        if (Runtime.version().feature() < 17) {
            return new VectorOrReason(null, "it needs Java 17 or later, this is Java " + Runtime.version());
        }
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return new VectorOrReason(null, "the JVM was started without --add-modules jdk.incubator.vector");
        }
        Class<?> c;
        try {
            c = Class.forName(VECTOR_CLASS);
        } catch (ClassNotFoundException e) {
            return new VectorOrReason(null, VECTOR_CLASS + " is not on the class path (it is in the jar's "
                    + "META-INF/versions/17; is the jar used as a multi-release jar?)");
        }
        try {
            // VectorKernelPath.create(): the path, or an IllegalStateException whose message says why not
            return new VectorOrReason((KernelPath) c.getMethod("create").invoke(null), null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException) {
                return new VectorOrReason(null, cause.getMessage());
            }
            throw new IllegalStateException("loading the fused kernel failed", cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("loading the fused kernel failed", e);
        }
    }
}
