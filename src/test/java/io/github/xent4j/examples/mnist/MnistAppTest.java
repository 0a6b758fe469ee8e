package io.github.xent4j.examples.mnist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end through the command line, on MNIST subsets (the real files, fetched on first use):
 * train writes model, metrics and plots; evaluate reloads the model; distill runs.
 */
class MnistAppTest {

    @TempDir
    Path dir;

    /** Runs the app in this JVM; returns exit status, stdout and stderr. */
    record Run(int status, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = MnistApp.execute(o, e, args);
        }
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, Object> json(Path file) throws IOException {
        return Json.read(Files.readString(file));
    }

    static void assertPng(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " missing");
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not an image");
        assertTrue(image.getWidth() >= 600 && image.getHeight() >= 400, file + " is " + image.getWidth() + "x"
                + image.getHeight());
    }

    @Test
    void trainWritesModelMetricsAndPlotsAndEvaluateReloadsTheModel() throws IOException {
        Path model = dir.resolve("out/mlp.zip");
        Path metrics = dir.resolve("out/metrics.json");
        Path plots = dir.resolve("plots");
        Run train = run("train", "--model", "mlp", "--epochs", "2", "--train-limit", "3000", "--test-limit", "1000",
                "--output", model.toString(), "--metrics-out", metrics.toString(), "--plots", plots.toString(),
                "--progress", "none");
        assertEquals(0, train.status(), train.all());
        assertTrue(train.out().contains("epoch 2/2: train loss"), train.out());
        assertTrue(train.out().lines().anyMatch(l -> l.startsWith("RESULT mlp/xent4j on mnist")), train.out());

        Map<String, Object> m = json(metrics);
        double accuracy = ((Number) m.get("test_accuracy")).doubleValue();
        assertTrue(accuracy > 0.85 && accuracy <= 1, "3,000 examples, 2 epochs: accuracy " + accuracy);
        assertEquals(2, m.get("epochs"));
        assertEquals(1000, ((Number) m.get("test_examples")).intValue());
        assertTrue(((Number) m.get("train_seconds")).doubleValue() > 0);
        assertTrue(((Number) m.get("examples_per_second")).doubleValue() > 0);
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) m.get("config");
        assertEquals("mlp", config.get("model"));
        assertEquals("xent4j", config.get("loss"));
        assertEquals(3000, config.get("train_limit"));
        assertEquals(2, ((List<?>) m.get("history")).size());
        assertEquals(10, ((List<?>) m.get("per_class")).size());
        assertEquals(10, ((List<?>) m.get("confusion_matrix")).size());
        assertPng(plots.resolve(Plots.CURVES));
        assertPng(plots.resolve(Plots.CONFUSION));

        Checkpoint.State state = Checkpoint.readState(model);
        assertEquals(2, state.epochsDone());
        try (var files = Files.list(model.getParent())) {
            assertEquals(List.of("metrics.json", "mlp.zip"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files left behind");
        }

        Path evalMetrics = dir.resolve("eval.json");
        Run eval = run("evaluate", model.toString(), "--test-limit", "1000", "--metrics-out", evalMetrics.toString(),
                "--plots", dir.resolve("eval-plots").toString());
        assertEquals(0, eval.status(), eval.all());
        assertTrue(eval.out().contains("confusion matrix (rows: actual, columns: predicted)"), eval.out());
        assertTrue(eval.out().contains("precision  recall"), eval.out());
        assertEquals(accuracy, ((Number) json(evalMetrics).get("test_accuracy")).doubleValue(), 0.0,
                "the reloaded model classifies the same test examples identically");
        assertPng(dir.resolve("eval-plots").resolve(Plots.CONFUSION));
    }

    @Test
    void distillRunsOnASubset() throws IOException {
        Path teacher = dir.resolve("teacher.zip");
        Run t = run("train", "--model", "mlp", "--epochs", "1", "--train-limit", "2000", "--test-limit", "500",
                "--output", teacher.toString(), "--progress", "none");
        assertEquals(0, t.status(), t.all());
        Path metrics = dir.resolve("student.json");
        Run d = run("distill", "--teacher", teacher.toString(), "--temperature", "3", "--alpha", "0.7",
                "--student-hidden", "16", "--epochs", "2", "--batch-size", "32", "--train-limit", "2000", "--test-limit", "500",
                "--output", dir.resolve("student.zip").toString(), "--metrics-out", metrics.toString(),
                "--progress", "lines");
        assertEquals(0, d.status(), d.all());
        assertTrue(d.out().contains("teacher " + teacher + ": test accuracy"), d.out());
        assertTrue(d.err().contains("epoch 1/2"), "progress lines on stderr: " + d.err());
        Map<String, Object> m = json(metrics);
        assertTrue(((Number) m.get("test_accuracy")).doubleValue() > 0.55, "student accuracy " + m.get("test_accuracy"));
        @SuppressWarnings("unchecked")
        Map<String, Object> distillation = (Map<String, Object>) ((Map<String, Object>) m.get("config")).get("distillation");
        assertEquals(3.0, distillation.get("temperature"));
        assertEquals(0.7, distillation.get("alpha"));

        Run eval = run("evaluate", dir.resolve("student.zip").toString(), "--test-limit", "500");
        assertEquals(0, eval.status(), eval.all());
        assertTrue(eval.out().contains("trained by 'distill'"), eval.out());
    }
}
