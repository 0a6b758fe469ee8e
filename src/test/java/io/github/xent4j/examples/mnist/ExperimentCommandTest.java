package io.github.xent4j.examples.mnist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.github.xent4j.examples.mnist.MnistAppTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The experiment runner on tiny settings: it runs, prints its Markdown table and writes its JSON. */
class ExperimentCommandTest {

    static MnistAppTest.Run experiments(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status;
        try (java.io.PrintStream o = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
             java.io.PrintStream e = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8)) {
            status = Experiments.execute(o, e, args);
        }
        return new MnistAppTest.Run(status, out.toString(java.nio.charset.StandardCharsets.UTF_8),
                err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    @TempDir
    Path dir;

    @Test
    void accuracyAndThroughputTables() throws IOException {
        Path out = dir.resolve("accuracy.json");
        MnistAppTest.Run r = experiments("accuracy", "--models", "mlp", "--losses", "xent4j,mcxent",
                "--epochs", "1", "--train-limit", "500", "--out", out.toString());
        assertEquals(0, r.status(), r.all());
        assertTrue(r.out().contains("| mlp | xent4j | 1 | 42 |"), r.out());
        assertTrue(r.out().contains("| mlp | mcxent | 1 | 42 |"), r.out());
        assertEquals(2, ((List<?>) json(out).get("rows")).size());

        Path speed = dir.resolve("throughput.json");
        r = experiments("throughput", "--rounds", "1", "--train-limit", "300", "--out", speed.toString());
        assertEquals(0, r.status(), r.all());
        assertTrue(r.out().contains("xent4j / mcxent = "), r.out());
        assertTrue(((Number) json(speed).get("ratio_xent4j_over_mcxent")).doubleValue() > 0);
    }

    @Test
    void distillTableComparesHardLabelsAndDistillationPerSeed() throws IOException {
        Path teacher = dir.resolve("teacher.zip");
        assertEquals(0, MnistAppTest.run("train", "--epochs", "1", "--train-limit", "1000", "--test-limit", "200", "--output",
                teacher.toString(), "--progress", "none").status());
        Path out = dir.resolve("distill.json");
        MnistAppTest.Run r = experiments("distill", "--teacher", teacher.toString(), "--seeds", "1,2",
                "--epochs", "1", "--train-limit", "300", "--student-hidden", "8", "--out", out.toString());
        assertEquals(0, r.status(), r.all());
        assertTrue(r.out().contains("| **mean ± sd** |"), r.out());
        Map<String, Object> m = json(out);
        assertEquals(2, ((List<?>) m.get("hard_only_test_accuracy")).size());
        assertEquals(2, ((List<?>) m.get("distilled_test_accuracy")).size());
        assertEquals(300, m.get("student_train_examples"));
    }
}
