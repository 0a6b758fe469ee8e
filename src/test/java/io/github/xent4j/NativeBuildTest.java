package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The libnd4j build that the tests run on is the one that {@code -Dnd4j.native.variant} asks for.
 * nd4j-native puts the portable build on the class path next to a variant, and JavaCPP loads the
 * variant when it comes first on the class path or when {@code org.bytedeco.javacpp.platform.extension}
 * names it; the pom sets that property from the variant, so the choice does not depend on the class
 * path's order. The accuracy tests run with {@code -Dnd4j.native.variant=-avx2} then run on the
 * AVX2 build, not silently on the portable one.
 */
class NativeBuildTest {
    @Test
    void theLoadedBuildIsTheRequestedVariant() {
        Nd4j.create(1);                                  // loads the backend
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        String variant = System.getProperty("xent4j.test.nd4j.variant", "");
        int level = ops.binaryLevel();
        System.out.println("NativeBuildTest: nd4j.native.variant '" + variant + "', libnd4j binary level " + level
                + " (0 portable, 2 AVX2, 3 AVX-512), optimal for this CPU " + ops.optimalLevel());
        assertTrue(ops.isMinimalRequirementsMet(), "this CPU runs the loaded build");
        if (variant.contains("avx512")) {
            assertEquals(3, level, "libnd4j binary level with nd4j.native.variant " + variant);
        } else if (variant.contains("avx2")) {
            assertEquals(2, level, "libnd4j binary level with nd4j.native.variant " + variant);
        } else {
            assertTrue(level < 2, "the portable build's binary level (0 or 1), got " + level);
        }
    }
}
