package io.github.xent4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs each teaching example's {@code main} with few epochs: it must finish and learn (accuracy well above chance). */
class TeachingExamplesTest {
    private static final Pattern ACCURACY = Pattern.compile("test accuracy (\\d\\.\\d+)\\s*$");

    interface Main {
        void run(String[] args) throws Exception;
    }

    static String run(Main main, String... args) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            main.run(args);
        } finally {
            System.setOut(saved);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        saved.print(out);
        return out;
    }

    static double finalAccuracy(String out) {
        Matcher m = ACCURACY.matcher(out.trim());
        assertTrue(m.find(), "no final 'test accuracy' line in:\n" + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void mixupSoftLabels() throws Exception {
        String out = run(MixupSoftLabelsExample::main, "3");
        assertTrue(finalAccuracy(out) > 0.8, out);                 // 5 classes: chance is 0.2
    }

    @Test
    void distillation() throws Exception {
        String out = run(DistillationExample::main, "3", "4");
        assertTrue(out.contains("distilled at T = 4.0"), out);
        assertTrue(finalAccuracy(out) > 0.5, out);                 // 8 classes: chance is 0.125
    }

    @Test
    void sameDiffMlpSavedAndReloaded() throws Exception {
        String out = run(SameDiffMlpExample::main, "3");
        assertTrue(out.contains("outputs identical: true"), out);
        assertTrue(finalAccuracy(out) > 0.8, out);                 // 5 classes
    }
}
