package io.github.xent4j.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Command line entry point: fetches and verifies datasets into the datasets root.
 *
 * <pre>{@code
 * mvn -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.xent4j.examples.data.FetchDatasets -Dexec.args="mnist fashion"
 * }</pre>
 *
 * <p>Arguments: dataset names ({@code mnist}, {@code fashion}); none means both. The root is
 * {@link ImageDataset#defaultRoot()} ({@code -Dxent4j.datasets.dir=...} or
 * {@code XENT4J_DATASETS_DIR} to change it). Exits with status 1 and the reason on standard
 * error if a dataset could not be obtained, 2 on a bad argument.
 */
public final class FetchDatasets {

    private FetchDatasets() {
    }

    public static void main(String[] args) {
        List<ImageDataset> wanted = new ArrayList<>();
        for (String arg : args) {
            try {
                wanted.add(ImageDataset.valueOf(arg.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                System.err.println("unknown dataset '" + arg + "'; expected mnist or fashion");
                System.exit(2);
            }
        }
        if (wanted.isEmpty()) {
            wanted = List.of(ImageDataset.values());
        }
        Path root = ImageDataset.defaultRoot();
        int failures = 0;
        for (ImageDataset dataset : wanted) {
            long start = System.nanoTime();
            try {
                Path dir = dataset.ensureAvailable(root);
                System.out.printf(Locale.ROOT, "%s: %s verified (%.2f s)%n", dataset, dir,
                        (System.nanoTime() - start) / 1e9);
            } catch (IOException e) {
                System.err.println(e.getMessage());
                failures++;
            }
        }
        if (failures > 0) {
            System.exit(1);
        }
    }
}
