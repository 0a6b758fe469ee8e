package io.github.xent4j.examples.mnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.examples.data.ImageDataset;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine samediff}: the MLP as a SameDiff graph with {@code XentSameDiff.softmaxCrossEntropy},
 * trained by {@code sd.fit} on an MNIST subset: it learns, reports every minibatch's loss (not 0),
 * is reproducible, resumes from its checkpoint exactly, and {@code evaluate} reloads it.
 */
class SameDiffEngineTest {

    private static Trainer.Data data;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        data = Runs.loadData(config(1));
    }

    private static TrainConfig config(int epochs) {
        return new TrainConfig(TrainConfig.ModelKind.MLP, TrainConfig.LossKind.XENT4J, "samediff", ImageDataset.MNIST,
                epochs, 64, 0.001, 0.8, 11, 0.05, 1, 0, 1500, 500, null);
    }

    private static Trainer.Options options(Path checkpoint, boolean resume) {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        return new Trainer.Options(checkpoint, resume, Progress.Mode.NONE, quiet, quiet, null);
    }

    @Test
    void trainsReportsItsLossesAndIsReproducible() throws IOException {
        Trainer.Result a = Trainer.run("train", config(2), data, options(null, false));
        List<Double> losses = a.batchLosses();
        assertEquals(2 * (1500 / 64 + 1), losses.size());
        for (double l : losses) {
            assertTrue(Double.isFinite(l) && l > 0, "every minibatch loss is reported: " + losses);
        }
        // 10 classes, smoothing 0.05: an untrained net starts near ln(10) = 2.3
        assertTrue(losses.get(0) > 1.5 && losses.get(0) < 4, "first loss " + losses.get(0));
        assertTrue(a.history().get(1).trainLoss() < 0.5 * losses.get(0), "the loss falls: " + a.history());
        assertTrue(a.testAccuracy() > 0.80, "1,500 examples, 2 epochs: accuracy " + a.testAccuracy());

        Trainer.Result b = Trainer.run("train", config(2), data, options(null, false));
        assertArrayEquals(a.model().params().toFloatVector(), b.model().params().toFloatVector(), "same seed");
        assertEquals(losses, b.batchLosses());
    }

    @Test
    void resumesFromItsCheckpointAndEvaluateReloadsIt() throws IOException {
        Path checkpoint = dir.resolve("sd.zip");
        Trainer.run("train", config(1), data, options(checkpoint, false));
        Trainer.Result resumed = Trainer.run("train", config(2), data, options(checkpoint, true));
        Trainer.Result straight = Trainer.run("train", config(2), data, options(null, false));
        assertEquals(List.of(1, 2), resumed.history().stream().map(EpochStats::epoch).toList());
        assertArrayEquals(straight.model().params().toFloatVector(), resumed.model().params().toFloatVector(),
                "updater state and epoch count survive the checkpoint");
        assertEquals(straight.batchLosses(), resumed.batchLosses());

        MnistAppTest.Run eval = MnistAppTest.run("evaluate", checkpoint.toString(), "--test-limit", "500");
        assertEquals(0, eval.status(), eval.all());
        assertTrue(eval.out().contains("SameDiff MLP with XentSameDiff.softmaxCrossEntropy"), eval.out());
        assertTrue(eval.out().contains(String.format(java.util.Locale.ROOT, "accuracy %.2f%%",
                100 * resumed.testAccuracy())), eval.out());
    }
}
