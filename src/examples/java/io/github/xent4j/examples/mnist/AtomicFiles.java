package io.github.xent4j.examples.mnist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes files so that a reader, a crash or Ctrl-C never sees a half-written one: the content
 * goes to a temporary file in the target's directory (same file system), is flushed to disk,
 * and then replaces the target by an atomic rename. Until the rename the previous file stays
 * intact; after it the new one is complete.
 *
 * <p>Temporary files are named {@code .<target name>.<random>.tmp}. A JVM shutdown (Ctrl-C)
 * during a write deletes the temporary file; only a hard kill ({@code kill -9}, power loss)
 * can leave one behind; it never replaces the target, and {@link #removeStaleTemporaries}
 * deletes it at the next start.
 */
public final class AtomicFiles {

    /** Writes the content into the path it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(Path file) throws IOException;
    }

    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : IN_FLIGHT) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: it is a temporary file that never replaces the target
                }
            }
        }, "xent4j-temp-cleanup"));
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} atomically.
     *
     * @param target the file to create or replace; its directory is created if needed
     * @param writer writes the complete content into the temporary file it is given
     * @throws IOException if writing, flushing or renaming fails; the target is then unchanged
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        IN_FLIGHT.add(tmp);
        try {
            writer.write(tmp);
            // createTempFile makes the file private (rw-------); give it an ordinary file's mode.
            if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(tmp, Files.exists(absolute)
                        ? Files.getPosixFilePermissions(absolute) : PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + absolute + " atomically on this file system", e);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
            IN_FLIGHT.remove(tmp);
        }
    }

    /**
     * Checks, before any work is done, that {@link #write} will be able to write {@code target}:
     * its directory exists or can be created, and a file can be created in it; {@code target}
     * itself is not a directory.
     *
     * @param option the command-line option that named the file, for the message
     * @throws MnistApp.UsageException saying what failed and why
     */
    public static void checkWritable(Path target, String option) {
        Path absolute = target.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute)) {
            throw new MnistApp.UsageException(option + " " + target + ": is a directory; give a file name");
        }
        checkWritableDirectory(absolute.getParent(), option + " " + target);
    }

    /**
     * Checks that {@code dir} exists or can be created, and that files can be created in it.
     *
     * @param what names the option and path, for the message
     * @throws MnistApp.UsageException saying what failed and why
     */
    public static void checkWritableDirectory(Path dir, String what) {
        Path absolute = dir.toAbsolutePath().normalize();
        for (Path p = absolute; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new MnistApp.UsageException(what + ": cannot create directory " + absolute + ", because "
                            + p + " is a file, not a directory");
                }
                break;
            }
        }
        try {
            Files.createDirectories(absolute);
            Path probe = Files.createTempFile(absolute, ".xent4j-write-check.", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new MnistApp.UsageException(what + ": cannot write files in " + absolute + " ("
                    + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.toString()) + ")");
        }
    }

    /**
     * Deletes the temporary files that an interrupted {@link #write} of {@code target} left
     * behind (a hard kill during the write): {@code .<target name>.<random>.tmp} in its directory.
     *
     * @return how many were deleted
     */
    public static int removeStaleTemporaries(Path target) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        String prefix = "." + absolute.getFileName() + ".";
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> stale = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".tmp")
                        && !IN_FLIGHT.contains(p))) {
            for (Path p : stale) {
                if (Files.isRegularFile(p) && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Writes a string (UTF-8) atomically. */
    public static void writeString(Path target, String content) throws IOException {
        write(target, tmp -> Files.writeString(tmp, content));
    }

    // Makes the rename itself durable. Not every OS lets a directory be opened (Windows);
    // there the rename is still atomic, only not yet flushed.
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
