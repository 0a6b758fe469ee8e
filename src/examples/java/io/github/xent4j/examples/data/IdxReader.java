package io.github.xent4j.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST, raw or gzip
 * compressed (recognised by the gzip magic bytes, not by the file name).
 *
 * <p>Format: a 4-byte magic {@code 0x00 0x00 0x08 n} (0x08 = unsigned byte, {@code n} = number
 * of dimensions), then {@code n} big-endian 32-bit sizes, then the product of the sizes in
 * bytes, row-major. Images files have magic {@value #IMAGES_MAGIC} ({@code [N, rows, cols]}),
 * label files {@value #LABELS_MAGIC} ({@code [N]}).
 *
 * <p>Decoding never loops over pixels in Java: the bytes are wrapped as an ND4J
 * {@link DataType#UBYTE} array (so 255 stays 255, not -1) and converted by native ops.
 * Arrays are created outside any active workspace, so they outlive the caller's scope.
 *
 * <p>Every format problem is an {@link IOException} naming the file, what was expected and
 * what was found: wrong magic, a zero size, a file shorter or longer than its header says.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned-byte images, {@code [N, rows, cols]}. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of unsigned-byte labels, {@code [N]}. */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /**
     * Reads images as features scaled to [0, 1].
     *
     * @param file an IDX images file, raw or gzip
     * @return FLOAT {@code [N, rows*cols]}, pixel {@code p} becomes {@code p / 255f}
     * @throws IOException if the file cannot be read or is not a valid IDX images file
     */
    public static INDArray readImages(Path file) throws IOException {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray bytes = readUnsignedBytes(file, IMAGES_MAGIC)) {
            long n = bytes.size(0);
            return bytes.reshape(n, bytes.length() / n).castTo(DataType.FLOAT).divi(255f);
        }
    }

    /**
     * Reads labels as class ids.
     *
     * @param file an IDX labels file, raw or gzip
     * @return one class id (0..255) per example
     * @throws IOException if the file cannot be read or is not a valid IDX labels file
     */
    public static int[] readLabels(Path file) throws IOException {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray bytes = readUnsignedBytes(file, LABELS_MAGIC);
             INDArray ints = bytes.castTo(DataType.INT32)) {
            return ints.toIntVector();
        }
    }

    /**
     * One-hot encodes class ids.
     *
     * @param classIds   class ids, each in {@code [0, numClasses)}
     * @param numClasses number of classes, positive
     * @return FLOAT {@code [classIds.length, numClasses]}
     * @throws IllegalArgumentException if {@code numClasses < 1}, {@code classIds} is empty,
     *                                  or a class id is out of range (naming its index)
     */
    public static INDArray oneHot(int[] classIds, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
        }
        if (classIds.length == 0) {
            throw new IllegalArgumentException("classIds must not be empty");
        }
        for (int i = 0; i < classIds.length; i++) {
            if (classIds[i] < 0 || classIds[i] >= numClasses) {
                throw new IllegalArgumentException("classIds[" + i + "] = " + classIds[i]
                        + " is outside [0, " + numClasses + ")");
            }
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
             INDArray identity = Nd4j.eye(numClasses).castTo(DataType.FLOAT)) {
            // Row i of the identity is the one-hot vector of class i: a native gather.
            return Nd4j.pullRows(identity, 1, classIds);
        }
    }

    /**
     * Reads an IDX file of unsigned bytes as it is.
     *
     * @param file          an IDX file, raw or gzip
     * @param expectedMagic {@link #IMAGES_MAGIC}, {@link #LABELS_MAGIC} or another
     *                      {@code 0x000008nn} magic
     * @return UBYTE array shaped as the header's sizes, e.g. {@code [60000, 28, 28]}
     * @throws IOException              if the file cannot be read, has another magic, a zero
     *                                  size, or its length does not match its header
     * @throws IllegalArgumentException if {@code expectedMagic} is not an unsigned-byte magic
     */
    public static INDArray readUnsignedBytes(Path file, int expectedMagic) throws IOException {
        if ((expectedMagic & 0xffffff00) != 0x00000800) {
            throw new IllegalArgumentException(String.format(
                    "expectedMagic must be 0x000008nn (unsigned bytes, rank nn), got 0x%08x", expectedMagic));
        }
        long fileSize = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
            String what = gzip ? file + " (gzip, sizes below are uncompressed)" : file.toString();

            byte[] magicBytes = in.readNBytes(4);
            if (magicBytes.length < 4) {
                throw new IOException(what + " is truncated: expected a 4-byte IDX magic, found "
                        + magicBytes.length + " bytes");
            }
            int magic = ByteBuffer.wrap(magicBytes).getInt();
            if (magic != expectedMagic) {
                throw new IOException(String.format("%s has magic 0x%08x, expected 0x%08x (%s)",
                        what, magic, expectedMagic, describeMagic(expectedMagic)));
            }
            int rank = magic & 0xff;
            byte[] sizeBytes = in.readNBytes(4 * rank);
            if (sizeBytes.length < 4 * rank) {
                throw new IOException(what + " is truncated: its header needs " + (4 + 4 * rank)
                        + " bytes, found " + (4 + sizeBytes.length));
            }
            ByteBuffer sizes = ByteBuffer.wrap(sizeBytes);
            long[] shape = new long[rank];
            long count = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = Integer.toUnsignedLong(sizes.getInt());
                if (shape[d] == 0) {
                    throw new IOException(what + " has size 0 in dimension " + d + " of "
                            + Arrays.toString(shape));
                }
                count *= shape[d];
                if (count > Integer.MAX_VALUE - 8) {
                    throw new IOException(what + " header claims more than 2^31 bytes of data: "
                            + Arrays.toString(shape));
                }
            }
            long headerLength = 4L + 4L * rank;
            if (!gzip && fileSize != headerLength + count) {
                throw new IOException(what + " has " + fileSize + " bytes, expected " + (headerLength + count)
                        + " (" + headerLength + "-byte header + " + count + " data bytes for shape "
                        + Arrays.toString(shape) + ")" + (fileSize < headerLength + count ? "; truncated?" : ""));
            }
            byte[] data = in.readNBytes((int) count);
            if (data.length < count) {
                throw new IOException(what + " is truncated: expected " + count + " data bytes for shape "
                        + Arrays.toString(shape) + ", found " + data.length);
            }
            if (in.read() != -1) {
                throw new IOException(what + " is longer than its header says: expected exactly "
                        + count + " data bytes for shape " + Arrays.toString(shape));
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.create(Nd4j.createBuffer(ByteBuffer.wrap(data), DataType.UBYTE, data.length),
                        shape);
            }
        }
    }

    private static String describeMagic(int magic) {
        return switch (magic) {
            case IMAGES_MAGIC -> "IDX unsigned-byte images [N, rows, cols]";
            case LABELS_MAGIC -> "IDX unsigned-byte labels [N]";
            default -> "IDX unsigned bytes, rank " + (magic & 0xff);
        };
    }
}
