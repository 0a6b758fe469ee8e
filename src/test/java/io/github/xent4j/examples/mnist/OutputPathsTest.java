package io.github.xent4j.examples.mnist;

import static io.github.xent4j.examples.mnist.MnistAppTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output paths are checked before training starts, with a message saying what failed and why;
 * temporary files of an interrupted checkpoint write are removed at the next start.
 */
class OutputPathsTest {
    @TempDir
    Path dir;

    private static void assertFailsBeforeTraining(MnistAppTest.Run r, String... fragments) {
        assertEquals(2, r.status(), r.all());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in:\n" + r.err());
        }
        assertFalse(r.all().contains("epoch 1"), "training started:\n" + r.all());
    }

    @Test
    void anOutputUnderAFileOrThatIsADirectoryIsAUsageError() throws IOException {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        assertFailsBeforeTraining(run("train", "--output", file.resolve("m.zip").toString(), "--progress", "none"),
                "--output " + file.resolve("m.zip"), "because " + file + " is a file, not a directory");
        assertFailsBeforeTraining(run("train", "--output", dir.toString(), "--progress", "none"),
                "--output " + dir + ": is a directory");
    }

    @Test
    void metricsAndPlotsPathsAreCheckedBeforeTraining() throws IOException {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        assertFailsBeforeTraining(run("train", "--output", dir.resolve("m.zip").toString(), "--metrics-out",
                file.resolve("metrics.json").toString(), "--progress", "none"), "--metrics-out", "is a file, not a directory");
        assertFailsBeforeTraining(run("train", "--output", dir.resolve("m.zip").toString(), "--plots",
                file.resolve("plots").toString(), "--progress", "none"), "--plots", "is a file, not a directory");
        assertFailsBeforeTraining(run("evaluate", dir.resolve("none.zip").toString(), "--metrics-out",
                file.resolve("metrics.json").toString()), "--metrics-out", "is a file, not a directory");
    }

    @Test
    void staleTemporaryFilesOfTheCheckpointAreRemovedOthersKept() throws IOException {
        Path output = dir.resolve("m.zip");
        Path stale = Files.writeString(dir.resolve(".m.zip.123456789.tmp"), "half a checkpoint");
        Path otherCheckpoints = Files.writeString(dir.resolve(".other.zip.1.tmp"), "another file's");
        Path unrelated = Files.writeString(dir.resolve("m.zip.notes"), "keep");
        assertEquals(1, AtomicFiles.removeStaleTemporaries(output));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(otherCheckpoints) && Files.exists(unrelated));

        Files.writeString(stale, "half a checkpoint");
        MnistAppTest.Run r = run("train", "--output", output.toString(), "--epochs", "1", "--train-limit", "200",
                "--test-limit", "100", "--progress", "none");
        assertEquals(0, r.status(), r.all());
        assertTrue(r.err().contains("removed 1 temporary file of " + output), r.err());
        assertFalse(Files.exists(stale));
        assertTrue(Files.isRegularFile(output));
    }
}
