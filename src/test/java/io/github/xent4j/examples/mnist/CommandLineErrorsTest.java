package io.github.xent4j.examples.mnist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.github.xent4j.examples.mnist.MnistAppTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad command lines fail with exit status 2 and a message that names the option and the problem. */
class CommandLineErrorsTest {

    @TempDir
    Path dir;

    private static void assertUsageError(String expected, String... args) {
        MnistAppTest.Run r = run(args);
        assertEquals(2, r.status(), "exit status of " + String.join(" ", args) + "\n" + r.all());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in:\n" + r.err());
        assertTrue(r.out().isEmpty() || !r.out().contains("RESULT"), r.out());
    }

    @Test
    void parseErrors() {
        assertUsageError("Invalid value for option '--model': expected one of [MLP, LENET, STUDENT] (case-insensitive) but was 'resnet'",
                "train", "--model", "resnet");
        assertUsageError("Unknown options: '--epoch', '3'", "train", "--epoch", "3");
        assertUsageError("Invalid value for option '--epochs': 'three' is not an int", "train", "--epochs", "three");
        assertUsageError("Missing required option: '--teacher=FILE'", "distill");
        assertUsageError("Unmatched argument at index 0: 'fit'", "fit");
        assertUsageError("missing a command", new String[0]);
        assertUsageError("see: mnist train --help", "train", "--loss", "nll");
    }

    @Test
    void rangeAndCombinationErrors() {
        assertUsageError("--epochs must be >= 1, got 0", "train", "--epochs", "0");
        assertUsageError("--label-smoothing must be in [0, 1), got 1.0", "train", "--label-smoothing", "1");
        assertUsageError("--temperature must be > 0, got -2.0", "train", "--temperature", "-2");
        assertUsageError("--train-limit must be in [0, 60000] (0 = all), got 70000", "train", "--train-limit", "70000");
        assertUsageError("--label-smoothing needs --loss xent4j (LossMCXENT has no smoothing)",
                "train", "--loss", "mcxent", "--label-smoothing", "0.1");
        assertUsageError("--alpha must be in [0, 1], got 1.5", "distill", "--teacher", "x.zip", "--alpha", "1.5");
        assertUsageError("--threads must be >= 1, got 0", "train", "--threads", "0", "--train-limit", "10");
    }

    @Test
    void engineErrors() {
        assertUsageError("--engine: --engine samediff trains --model mlp with train; use --engine dl4j for lenet",
                "train", "--engine", "samediff", "--model", "lenet");
        assertUsageError("--engine: --engine samediff uses the xent4j SameDiff op; --loss mcxent needs --engine dl4j",
                "train", "--engine", "samediff", "--loss", "mcxent");
        assertUsageError("--engine: unknown engine 'tf'; expected one of [dl4j, samediff]", "train", "--engine", "tf");
    }

    @Test
    void missingFilesAndResumeConflicts() throws IOException {
        Path missing = dir.resolve("none.zip");
        assertUsageError("--resume: there is no checkpoint at " + missing, "train", "--output", missing.toString(),
                "--resume");
        assertUsageError("no model file at " + missing, "evaluate", missing.toString());
        assertUsageError("--teacher: no model file at " + missing, "distill", "--teacher", missing.toString(),
                "--output", dir.resolve("s.zip").toString());

        Path model = dir.resolve("m.zip");
        MnistAppTest.Run ok = run("train", "--epochs", "1", "--train-limit", "500", "--test-limit", "100",
                "--output", model.toString(), "--progress", "none");
        assertEquals(0, ok.status(), ok.all());
        assertUsageError("--resume continues the checkpoint's configuration, but the command line differs: "
                        + "--lr 0.01 (the checkpoint has 0.001), --seed 1 (the checkpoint has 42)",
                "train", "--output", model.toString(), "--resume", "--lr", "0.01", "--seed", "1", "--epochs", "2");
        assertUsageError("is a checkpoint of 'train', not 'distill'", "distill", "--teacher", model.toString(),
                "--output", model.toString(), "--resume");
    }
}
