package io.github.xent4j.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's documentation files, for the tests that keep them honest. */
final class Docs {
    private Docs() {
    }

    /** The repository root: Maven's basedir (Surefire's working directory). */
    static Path root() {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("pom.xml"))) {
            throw new IllegalStateException("not the repository root (no pom.xml): " + root);
        }
        return root;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
