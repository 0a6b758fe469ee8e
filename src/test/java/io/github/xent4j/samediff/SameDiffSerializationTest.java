package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentOptions;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@code sd.save(file, true)} / {@code SameDiff.load(file, true)} keep the ops, their options
 * (class weights included) and their gradients, in this JVM and in a fresh one that registers
 * nothing by hand; training continues identically after a round trip.
 */
class SameDiffSerializationTest {
    static final XentOptions OPTIONS = XentOptions.builder().classWeights(new double[]{1, 2.5, 0.5, 1, 3})
            .labelSmoothing(0.1).temperature(2).zLoss(0.01).ignoreIndex(3).build();

    /** z [4, 5] and soft labels y as variables; loss (SUM), ls = logSoftmax(z, 0), lse = logSumExp(z, -1, keepDims). */
    static SameDiff graph() {
        Random rnd = new Random(41);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", TestArrays.array(TestArrays.normal(rnd, 4, 5, 2), DataType.FLOAT));
        SDVariable y = sd.var("y", TestArrays.array(TestArrays.softLabels(rnd, 4, 5, 1.2), DataType.FLOAT));
        SDVariable loss = XentSameDiff.softmaxCrossEntropy(sd, "loss", z, y, OPTIONS, LossReduce.SUM);
        SDVariable ls = XentSameDiff.logSoftmax(sd, "ls", z, 0);
        SDVariable lse = XentSameDiff.logSumExp(sd, "lse", z, -1, true);
        SDVariable a = sd.constant("a", TestArrays.array(TestArrays.normal(rnd, 4, 5, 1), DataType.FLOAT));
        SDVariable total = loss.add(ls.mul(a).sum()).add("total", lse.sum());
        sd.setLossVariables(total);
        return sd;
    }

    static OutAndGrad run(SameDiff sd) {
        return sd.calculateGradientsAndOutputs(Collections.emptyMap(), List.of("loss", "ls", "lse"), List.of("z", "y"));
    }

    @Test
    void saveAndLoadKeepOpsOptionsAndGradients(@TempDir Path dir) throws Exception {
        SameDiff sd = graph();
        OutAndGrad before = run(sd);
        File f = dir.resolve("graph.sd").toFile();
        sd.save(f, true);
        SameDiff loaded = SameDiff.load(f, true);
        OutAndGrad after = run(loaded);
        for (String v : new String[]{"loss", "ls", "lse"}) {
            assertEquals(before.getOutputs().get(v), after.getOutputs().get(v), v);
        }
        for (String v : new String[]{"z", "y"}) {
            assertEquals(before.getGradients().get(v), after.getGradients().get(v), "d/d" + v);
        }
        DifferentialFunction op = loaded.getVariableOutputOp("loss");
        assertSame(SoftmaxCrossEntropyOp.class, op.getClass());
        assertSame(LogSoftmaxOp.class, loaded.getVariableOutputOp("ls").getClass());
        assertSame(LogSumExpOp.class, loaded.getVariableOutputOp("lse").getClass());
        SoftmaxCrossEntropyOp ce = (SoftmaxCrossEntropyOp) op;
        assertArrayEquals(new double[]{0.1, 2, 0.01}, ce.tArgs(), 0.0);
        assertArrayEquals(new long[]{CrossEntropyArgs.REDUCE_SUM, 3, 1, 0}, ce.iArgs());
        INDArray w = loaded.getVariable(ce.arg(2).name()).getArr();
        assertEquals(DataType.DOUBLE, w.dataType());
        assertArrayEquals(OPTIONS.classWeights(), w.toDoubleVector(), 0.0);
        assertEquals(List.of("total"), loaded.getLossVariables());
    }

    @Test
    void trainingContinuesIdenticallyAfterARoundTrip(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = SameDiffTrainingTest.network(OPTIONS.toBuilder().classWeights(null).build(), new Adam(0.01));
        SameDiff sd = SameDiffTrainingTest.sameDiff(net, XentOptions.builder().labelSmoothing(0.1).build(), new Adam(0.01),
                false);
        DataSet[] data = SameDiffTrainingTest.batches(new Random(3), 3, 8, false);
        for (DataSet ds : data) {
            sd.fit(ds);
        }
        File f = dir.resolve("mlp.sd").toFile();
        sd.save(f, true);
        SameDiff loaded = SameDiff.load(f, true);
        for (DataSet ds : data) {
            sd.fit(ds);
            loaded.fit(ds);
        }
        for (String p : new String[]{"w0", "b0", "w1", "b1"}) {
            assertEquals(sd.getVariable(p).getArr(), loaded.getVariable(p).getArr(), p);
        }
    }

    /** Key of {@link #freshJvm}'s result that holds the whole output. */
    static final String OUTPUT = "OUTPUT";

    /** Runs {@link FreshJvmLoad} in a new JVM on the test classpath; returns its KEY=value lines and {@link #OUTPUT}. */
    static Map<String, String> freshJvm(File graph, File outDir, String mode, String... jvmArgs) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Collections.addAll(cmd, jvmArgs);
        Collections.addAll(cmd, "-cp", cp, FreshJvmLoad.class.getName(), graph.getPath(), outDir.getPath(), mode);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        Map<String, String> kv = new HashMap<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                int eq = line.indexOf('=');
                if (eq > 0 && line.substring(0, eq).matches("[A-Z0-9_]+")) {
                    kv.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "fresh JVM timed out");
        assertEquals(0, p.exitValue(), "fresh JVM failed:\n" + all);
        assertEquals("true", kv.get("DONE"), all.toString());
        kv.put(OUTPUT, all.toString());
        return kv;
    }

    @Test
    void aFreshJvmLoadsTheGraphWithNothingRegisteredByHand(@TempDir Path dir) throws Exception {
        SameDiff sd = graph();
        OutAndGrad expected = run(sd);
        File f = dir.resolve("graph.sd").toFile();
        sd.save(f, true);

        Map<String, String> kv = freshJvm(f, dir.toFile(), "auto");
        assertEquals("false", kv.get("REGISTERED_AFTER_ND4J"), "ND4J's start-up, not caused by SameDiff, registered the ops");
        assertEquals("true", kv.get("REGISTERED_AUTOMATICALLY"), "SameDiff's initialisation did not register the ops");
        assertEquals(RegisteringInferenceFactory.class.getName(), kv.get("INFERENCE_FACTORY"));
        assertEquals("null", kv.get("STARTUP_FAILURE"));
        assertEquals(SoftmaxCrossEntropyOp.class.getName(), kv.get("OP_CLASS"));
        for (String v : new String[]{"loss", "ls", "lse"}) {
            assertEquals(expected.getOutputs().get(v), Nd4j.readBinary(dir.resolve("out_" + v + ".bin").toFile()), v);
        }
        for (String v : new String[]{"z", "y"}) {
            assertEquals(expected.getGradients().get(v), Nd4j.readBinary(dir.resolve("grad_" + v + ".bin").toFile()),
                    "d/d" + v);
        }
    }

    @Test
    void withTheOptOutLoadingNeedsAnExplicitRegister(@TempDir Path dir) throws Exception {
        SameDiff sd = graph();
        OutAndGrad expected = run(sd);
        File f = dir.resolve("graph.sd").toFile();
        sd.save(f, true);
        Map<String, String> kv = freshJvm(f, dir.toFile(), "optout", "-D" + XentOpsRegistration.AUTO_REGISTER_PROPERTY + "=false");
        assertEquals("false", kv.get("REGISTERED_AFTER_ND4J"));
        String load = kv.get("OPTOUT_LOAD");
        System.out.println("Loading without registration: " + load);
        assertTrue(load.startsWith("failed") && load.contains("No op known")
                && XentOpsRegistration.OP_NAMES.stream().anyMatch(load::contains), load);
        assertEquals(expected.getGradients().get("z"), Nd4j.readBinary(dir.resolve("grad_z.bin").toFile()));
    }
}
