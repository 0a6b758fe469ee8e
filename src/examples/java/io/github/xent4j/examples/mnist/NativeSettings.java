package io.github.xent4j.examples.mnist;

import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Thread count and build variant of the ND4J native backend (nd4j-native, CPU).
 *
 * <p>ND4J reads {@code OMP_NUM_THREADS} once, when its native library loads, and otherwise
 * uses every core. {@link #setThreads(int)} changes it in a running JVM (it sets the OpenMP
 * threads, libnd4j's own thread pool limits and OpenBLAS's threads), which is what
 * {@code --threads} does; it works through {@code mvn exec:java}, where the JVM is Maven's.
 */
public final class NativeSettings {

    /** The classifier suffixes of nd4j-native 1.0.0-M2.1 for x86-64, {@code ""} being the portable build. */
    static final List<String> VARIANTS = List.of("", "-avx2", "-avx512", "-onednn", "-onednn-avx2", "-onednn-avx512",
            "-compat");

    private NativeSettings() {
    }

    /** Uses {@code threads} threads for native ops from now on. */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        // Load the backend first: NativeOpsHolder finds its class through ND4J's configuration,
        // which exists only once Nd4j has initialised.
        Nd4j.getExecutioner();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        ops.setOmpNumThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** The number of threads native ops use now. */
    public static int threads() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /**
     * The nd4j-native build in use: the classifier of the jar the native library was loaded from,
     * e.g. {@code linux-x86_64-avx512}, found from which jar's binding directory is on the class path.
     */
    static String variant() {
        String platform = Loader.getPlatform();
        ClassLoader cl = NativeSettings.class.getClassLoader();
        StringBuilder found = new StringBuilder();
        for (String suffix : VARIANTS) {
            if (cl.getResource("org/nd4j/linalg/cpu/nativecpu/bindings/" + platform + suffix + "/") != null) {
                found.append(found.length() == 0 ? "" : ",").append(platform).append(suffix);
            }
        }
        return found.length() == 0 ? platform + " (unknown build)" : found.toString();
    }

    /** Backend facts for the metrics JSON. */
    static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        m.put("nd4j_native", variant());
        m.put("binary_level", level(ops.binaryLevel()));
        m.put("cpu_optimal_level", level(ops.optimalLevel()));
        m.put("threads", threads());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", System.getProperty("java.version"));
        return m;
    }

    // libnd4j's binaryLevel()/optimalLevel(): 0 unknown, 1 plain x86-64, 2 AVX2, 3 AVX-512.
    private static String level(int level) {
        return switch (level) {
            case 0 -> "unknown";
            case 1 -> "x86-64";
            case 2 -> "avx2";
            case 3 -> "avx512";
            default -> "level " + level;
        };
    }
}
