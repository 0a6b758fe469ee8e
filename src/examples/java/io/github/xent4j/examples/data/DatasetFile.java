package io.github.xent4j.examples.data;

import java.util.Locale;
import java.util.Objects;

/**
 * One expected data file: its name, its exact size in bytes and the SHA-256 of its content.
 *
 * <p>The size and hash always describe the <em>uncompressed</em> IDX file, because that is the
 * only form every source agrees on: npm ships the files raw, the mirrors ship gzip, and Debian
 * recompressed its copies of Fashion-MNIST, so their gzip checksums differ from upstream.
 *
 * @param name   file name inside the dataset directory, e.g. {@code train-images-idx3-ubyte}
 * @param size   exact length in bytes, positive
 * @param sha256 lower-case hex SHA-256 of the content, 64 characters
 */
public record DatasetFile(String name, long size, String sha256) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException if the name is blank or contains a path separator, the
     *                                  size is not positive, or the hash is not 64 hex digits
     */
    public DatasetFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        if (name.isBlank() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("name must be a plain file name, got '" + name + "'");
        }
        if (size <= 0) {
            throw new IllegalArgumentException("size of " + name + " must be positive, got " + size);
        }
        sha256 = sha256.toLowerCase(Locale.ROOT);
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException(
                    "sha256 of " + name + " must be 64 hex digits, got '" + sha256 + "'");
        }
    }
}
