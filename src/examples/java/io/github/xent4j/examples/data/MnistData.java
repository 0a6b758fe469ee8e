package io.github.xent4j.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One split of an MNIST-format dataset, decoded once into ND4J arrays.
 *
 * <p>Shapes, for {@code N} examples of {@code F = rows*cols} pixels and {@code K} classes:
 * <ul>
 *   <li>{@link #features()}: FLOAT {@code [N, F]}, pixel values in [0, 1] ({@code p / 255})</li>
 *   <li>{@link #labels()}: FLOAT one-hot {@code [N, K]}</li>
 *   <li>{@link #classIndexLabels()}: FLOAT class ids {@code [N, 1]}</li>
 *   <li>{@link #classIds()}: {@code int[N]}</li>
 * </ul>
 * For MNIST and Fashion-MNIST, {@code F = 784}, {@code K = 10}, and {@code N} is 60,000
 * (train) or 10,000 (test). The arrays are shared, not copied: treat them as read-only;
 * {@link IdxDataSetIterator} hands out copies.
 *
 * <pre>{@code
 * MnistData train = MnistData.load(ImageDataset.MNIST, true);   // fetches on first use
 * DataSetIterator it = new IdxDataSetIterator(train, 128, 42);
 * }</pre>
 */
public final class MnistData {

    private final INDArray features;
    private final INDArray labels;
    private final int[] classIds;
    private final List<String> labelNames;

    /**
     * Wraps decoded arrays.
     *
     * @param features   FLOAT {@code [N, F]}
     * @param classIds   one class id per row of {@code features}, each in
     *                   {@code [0, labelNames.size())}
     * @param labelNames the class names, indexed by class id; their count is {@code K}
     * @throws IllegalArgumentException if the shapes, counts or class ids do not fit together
     */
    public MnistData(INDArray features, int[] classIds, List<String> labelNames) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(classIds, "classIds");
        this.labelNames = List.copyOf(labelNames);
        if (features.rank() != 2 || features.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("features must be FLOAT [N, F], got "
                    + features.dataType() + " " + Arrays.toString(features.shape()));
        }
        if (features.rows() != classIds.length) {
            throw new IllegalArgumentException("features has " + features.rows()
                    + " rows but classIds has " + classIds.length + " entries");
        }
        this.features = features;
        this.classIds = classIds.clone();
        this.labels = IdxReader.oneHot(this.classIds, this.labelNames.size());
    }

    /** {@link #load(ImageDataset, boolean, Path)} with the {@linkplain ImageDataset#defaultRoot() default root}. */
    public static MnistData load(ImageDataset dataset, boolean train) throws IOException {
        return load(dataset, train, ImageDataset.defaultRoot());
    }

    /**
     * Ensures the dataset's files are present and verified (fetching them if needed), then
     * decodes one split.
     *
     * @param dataset      MNIST or FASHION
     * @param train        the 60,000-example training split if true, else the 10,000-example test split
     * @param datasetsRoot the datasets root holding {@code mnist/} and {@code fashion/}
     * @throws IOException if the files cannot be obtained or read
     */
    public static MnistData load(ImageDataset dataset, boolean train, Path datasetsRoot) throws IOException {
        Path dir = dataset.ensureAvailable(datasetsRoot);
        return read(dir.resolve(dataset.images(train).name()), dir.resolve(dataset.labels(train).name()),
                dataset.labelNames());
    }

    /**
     * Decodes an images file and a labels file as they are, without any checksum check.
     *
     * @param imagesFile IDX images, raw or gzip
     * @param labelsFile IDX labels, raw or gzip, as many as there are images
     * @param labelNames the class names; every label must be a valid index into it
     * @throws IOException if a file is unreadable or malformed, or the counts differ
     */
    public static MnistData read(Path imagesFile, Path labelsFile, List<String> labelNames) throws IOException {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            int[] classIds = IdxReader.readLabels(labelsFile);
            INDArray features = IdxReader.readImages(imagesFile);
            if (features.rows() != classIds.length) {
                throw new IOException(imagesFile + " has " + features.rows() + " images but "
                        + labelsFile + " has " + classIds.length + " labels");
            }
            try {
                return new MnistData(features, classIds, labelNames);
            } catch (IllegalArgumentException e) {
                throw new IOException(labelsFile + ": " + e.getMessage(), e);
            }
        }
    }

    /** FLOAT {@code [N, F]} pixels in [0, 1]; shared, do not modify. */
    public INDArray features() {
        return features;
    }

    /** FLOAT one-hot {@code [N, K]}; shared, do not modify. */
    public INDArray labels() {
        return labels;
    }

    /** A new FLOAT {@code [N, 1]} array of class ids, for losses that take class-index labels. */
    public INDArray classIndexLabels() {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.createFromArray(classIds).castTo(DataType.FLOAT).reshape(classIds.length, 1);
        }
    }

    /** A copy of the class id of every example. */
    public int[] classIds() {
        return classIds.clone();
    }

    /** How many examples of each class, indexed by class id. */
    public int[] classCounts() {
        int[] counts = new int[labelNames.size()];
        for (int id : classIds) {
            counts[id]++;
        }
        return counts;
    }

    /** The class names, indexed by class id. */
    public List<String> labelNames() {
        return labelNames;
    }

    /** {@code N}. */
    public int numExamples() {
        return classIds.length;
    }

    /** {@code F}, 784 for 28x28 images. */
    public int numFeatures() {
        return (int) features.columns();
    }

    /** {@code K}. */
    public int numClasses() {
        return labelNames.size();
    }
}
