package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Same seed, same result; and a run interrupted after its first epoch's checkpoint, then
 * resumed, ends bit for bit where an uninterrupted run ends.
 */
class ReproducibilityTest {

    private static Trainer.Data data;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        data = Runs.loadData(config(1, 42));
    }

    private static TrainConfig config(int epochs, long seed) {
        return new TrainConfig(TrainConfig.ModelKind.MLP, TrainConfig.LossKind.XENT4J, "dl4j", ImageDataset.MNIST, epochs,
                64, 0.001, 0.8, seed, 0.05, 1, 0, 1500, 500, null);
    }

    private static Trainer.Options options(Path checkpoint, boolean resume, Trainer.StepHook hook) {
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        return new Trainer.Options(checkpoint, resume, Progress.Mode.NONE, quiet, quiet, hook);
    }

    private static float[] params(Trainer.Result r) {
        return r.model().params().toFloatVector();
    }

    @Test
    void sameSeedGivesIdenticalParametersAndMetrics() throws IOException {
        Trainer.Result a = Trainer.run("train", config(2, 7), data, options(null, false, null));
        Trainer.Result b = Trainer.run("train", config(2, 7), data, options(null, false, null));
        Trainer.Result c = Trainer.run("train", config(2, 8), data, options(null, false, null));
        assertArrayEquals(params(a), params(b));
        assertEquals(a.batchLosses(), b.batchLosses());
        assertEquals(a.testAccuracy(), b.testAccuracy(), 0.0);
        assertEquals(a.evaluation().getConfusionMatrix(), b.evaluation().getConfusionMatrix());
        assertFalse(java.util.Arrays.equals(params(a), params(c)), "another seed gives other weights");
        assertNotEquals(a.batchLosses(), c.batchLosses());
    }

    @Test
    void resumingAfterAnInterruptionEqualsAnUninterruptedRun() throws IOException {
        Trainer.Result whole = Trainer.run("train", config(2, 42), data, options(dir.resolve("whole.zip"), false, null));

        // Interrupted in the middle of epoch 2, after the checkpoint of epoch 1 was written.
        Path checkpoint = dir.resolve("interrupted.zip");
        class Interrupt extends RuntimeException {
        }
        assertThrows(Interrupt.class, () -> Trainer.run("train", config(2, 42), data, options(checkpoint, false,
                (epoch, batch) -> {
                    if (epoch == 2 && batch == 5) {
                        throw new Interrupt();
                    }
                })));
        Checkpoint.State saved = Checkpoint.readState(checkpoint);
        assertEquals(1, saved.epochsDone(), "the checkpoint is the one of epoch 1, intact");
        assertEquals(config(2, 42), saved.config());
        byte[] before = Files.readAllBytes(checkpoint);

        // Continue through the command line, as a user would.
        MnistAppTest.Run resumed = MnistAppTest.run("train", "--model", "mlp", "--epochs", "2", "--output",
                checkpoint.toString(), "--resume", "--progress", "none");
        assertEquals(0, resumed.status(), resumed.all());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("after epoch 1 of 2"), resumed.out());
        assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(checkpoint)));

        Checkpoint.State end = Checkpoint.readState(checkpoint);
        assertEquals(2, end.epochsDone());
        assertEquals(whole.batchLosses(), end.batchLosses(), "every minibatch loss of both epochs");
        assertEquals(whole.history().get(1).testAccuracy(), end.history().get(1).testAccuracy(), 0.0);
        TrainableModel a = new Dl4jEngine().restore(dir.resolve("whole.zip"), config(2, 42));
        TrainableModel b = new Dl4jEngine().restore(checkpoint, end.config());
        assertArrayEquals(a.params().toFloatVector(), b.params().toFloatVector(), "parameters bit for bit");
        assertEquals(2, b.epochCount());
    }

    @Test
    void resumeWithMoreEpochsContinuesTheSchedule() throws IOException {
        Path checkpoint = dir.resolve("m.zip");
        Trainer.run("train", config(1, 3), data, options(checkpoint, false, null));
        Trainer.Result more = Trainer.run("train", config(2, 3), data, options(checkpoint, true, null));
        Trainer.Result straight = Trainer.run("train", config(2, 3), data, options(null, false, null));
        assertEquals(List.of(1, 2), more.history().stream().map(EpochStats::epoch).toList());
        assertEquals(0.001 * 0.8, more.history().get(1).learningRate(), 1e-12);
        assertArrayEquals(params(straight), params(more));
    }

    @Test
    void atomicWriteLeavesTheOldFileWhenTheWriterFails() throws IOException {
        Path target = dir.resolve("file.txt");
        AtomicFiles.writeString(target, "old");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "half of the new content");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "the temporary file is removed");
        }
    }
}
