package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two automatic registrations of {@link XentOpsRegistration}, each in a fresh JVM: a program
 * whose first ND4J call is {@code SameDiff.load} loads an xent4j graph, and a DL4J-only program
 * registers nothing and never loads ND4J's op registry or SameDiff.
 */
class AutomaticRegistrationTest {

    @Test
    void aGraphLoadedByTheProgramsFirstNd4jCallComputesAsSaved(@TempDir Path dir) throws Exception {
        SameDiff sd = SameDiffSerializationTest.graph();
        OutAndGrad expected = SameDiffSerializationTest.run(sd);
        File f = dir.resolve("graph.sd").toFile();
        sd.save(f, true);
        Map<String, String> kv = SameDiffSerializationTest.freshJvm(f, dir.toFile(), "loadfirst");
        assertEquals("true", kv.get("REGISTERED_AUTOMATICALLY"), "ND4J started by SameDiff.load did not register the ops");
        assertEquals("null", kv.get("STARTUP_FAILURE"));
        assertEquals(SoftmaxCrossEntropyOp.class.getName(), kv.get("OP_CLASS"));
        assertEquals(expected.getOutputs().get("loss"), Nd4j.readBinary(dir.resolve("out_loss.bin").toFile()));
        assertEquals(expected.getGradients().get("z"), Nd4j.readBinary(dir.resolve("grad_z.bin").toFile()));
    }

    @Test
    void aDl4jOnlyProgramRegistersNothingAndPrintsNothingFromXent4j(@TempDir Path dir) throws Exception {
        Map<String, String> kv = SameDiffSerializationTest.freshJvm(dir.resolve("unused").toFile(), dir.toFile(), "dl4j",
                "-verbose:class");
        String out = kv.get(SameDiffSerializationTest.OUTPUT);
        assertEquals("false", kv.get("REGISTERED"));
        assertTrue(Double.isFinite(Double.parseDouble(kv.get("SCORE"))), kv.get("SCORE"));
        assertTrue(out.contains("io.github.xent4j.samediff.XentOpsRegistration"),
                "the EnvironmentalAction service did not run (the check below would prove nothing)");
        for (String cls : new String[]{"org.nd4j.imports.converters.ImportClassMapping ", "org.nd4j.autodiff.samediff.SameDiff "}) {
            assertFalse(out.contains(cls), "a DL4J-only program loaded " + cls.trim());
        }
        String logged = Arrays.stream(out.split("\n"))
                .filter(l -> !l.startsWith("[") && (l.contains("xent4j") || l.contains("i.g.x.")))
                .collect(Collectors.joining("\n"));
        assertEquals("", logged, "xent4j printed something in a DL4J-only program");
    }
}
