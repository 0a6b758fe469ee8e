package io.github.xent4j.examples.data;

import org.apache.commons.codec.digest.DigestUtils;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.FileUtils;
import org.apache.commons.io.input.BoundedInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Makes a dataset's files available in a directory, each checked by size and SHA-256, and takes
 * whatever is missing or wrong from a list of sources, tried in order.
 *
 * <p>Every call hashes every file (0.05 to 0.2 s for MNIST's 55 MB): a size check would miss a
 * corrupt file of the right size, and a "verified" marker would go stale when a file changes. A
 * source's files are written into a {@code .fetch-*} directory inside the target and get their
 * final names only by an atomic rename once verified, so no final name ever holds a wrong file.
 * Fetches into one directory are serialised by a lock on {@code .lock}. Each failure is an
 * {@link IOException} that says what failed and why; the command line ({@link #main}) prints it.
 *
 * @param label   names the dataset in messages
 * @param files   the files the directory must hold
 * @param sources tried in order for what is missing or wrong
 * @param fix     what a user can do when every source failed
 * @param log     where progress and problems are reported, usually standard error
 */
public record DatasetFetcher(String label, List<FileSpec> files, List<Source> sources, String fix, PrintStream log) {

    /** One expected file: its name, its size and the SHA-256 (lower-case hex) of its uncompressed content. */
    public record FileSpec(String name, long size, String sha256) {
    }

    /**
     * Where files come from ({@code file:} or HTTP(S); 20 s to connect, 60 s without data): the gzip
     * files {@code <location><name>.gz}, or, when {@code tarEntryPrefix} is not null, the entries
     * {@code <tarEntryPrefix><name>} of the gzipped tarball at {@code location}.
     */
    public record Source(URI location, String tarEntryPrefix) {
        /** The gzip files in a directory or under a mirror's base URL. */
        public static Source gzipFiles(URI dir) {
            return new Source(dir.toString().endsWith("/") ? dir : URI.create(dir + "/"), null);
        }
    }

    static final String TEMP_PREFIX = ".fetch-";

    /** Returns {@code dir}, absolute, once each file in it has the right size and SHA-256, fetching what is not. */
    public Path ensureAvailable(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        // A final name only ever appears by the rename of a verified file: checking needs no lock.
        if (Files.isDirectory(target) && problems(target, false).isEmpty()) {
            return target;
        }
        synchronized (DatasetFetcher.class) {   // a FileLock is per process: threads of this JVM queue here
            FileChannel lock;
            try {
                lock = FileChannel.open(Files.createDirectories(target).resolve(".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new IOException(label + ": cannot write the datasets directory " + target + " (" + e
                        + "), which fetching needs; make it writable, or point -D" + ImageDataset.ROOT_PROPERTY
                        + " or " + ImageDataset.ROOT_ENV + " at a writable directory", e);
            }
            try (lock; FileLock ignored = lock.lock(); Stream<Path> list = Files.list(target)) {
                for (Path p : list.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) {
                    FileUtils.deleteDirectory(p.toFile());   // holding the lock: what a killed run left
                }
                List<FileSpec> missing = problems(target, true);   // another process may have fetched meanwhile
                StringBuilder attempts = new StringBuilder();
                for (int s = 0; s < sources.size() && !missing.isEmpty(); s++) {
                    attempts.append("\n  ").append(s + 1).append(". ").append(sources.get(s).location()).append(": ")
                            .append(fetch(sources.get(s), target, missing));
                }
                if (!missing.isEmpty()) {
                    throw new IOException(label + ": could not obtain " + names(missing) + " in " + target
                            + ". Attempts:" + attempts + "\nTo fix: " + fix + ". See datasets/README.md.");
                }
            }
        }
        return target;
    }

    /** Installs what {@code source} delivers right, removing it from {@code missing}; returns why the rest failed. */
    private String fetch(Source source, Path dir, List<FileSpec> missing) throws IOException {
        info("fetching " + names(missing) + " from " + source.location());
        List<String> why = new ArrayList<>();
        Path work = Files.createTempDirectory(dir, TEMP_PREFIX);
        try {
            try {
                deliver(source, missing, work);
            } catch (IOException e) {   // the first failure ends a source: the rest would likely fail alike
                why.add(reason(e));
            }
            for (FileSpec file : List.copyOf(missing)) {
                Path fetched = work.resolve(file.name());
                String problem = Files.exists(fetched) ? problem(fetched, file) : null;
                if (problem != null) {
                    why.add(file.name() + " " + problem);
                } else if (Files.exists(fetched)) {
                    try (FileChannel channel = FileChannel.open(fetched, StandardOpenOption.WRITE)) {
                        channel.force(true);   // on disk before the rename makes it visible
                    }
                    Files.move(fetched, dir.resolve(file.name()), StandardCopyOption.ATOMIC_MOVE);
                    missing.remove(file);
                }
            }
        } finally {
            FileUtils.deleteDirectory(work.toFile());
        }
        if (why.isEmpty() && !missing.isEmpty()) {
            why.add("did not deliver " + names(missing));
        }
        info(missing.isEmpty() ? "verified and installed in " + dir : String.join("; ", why));
        return String.join("; ", why);
    }

    /** Writes into {@code work} the files of {@code wanted} that {@code source} has, uncompressed. */
    private static void deliver(Source source, List<FileSpec> wanted, Path work) throws IOException {
        if (source.tarEntryPrefix() != null) {
            try (TarArchiveInputStream tar = new TarArchiveInputStream(gunzip(source.location()))) {
                for (TarArchiveEntry entry; (entry = tar.getNextTarEntry()) != null; ) {
                    for (FileSpec file : wanted) {
                        if (entry.getName().equals(source.tarEntryPrefix() + file.name())) {
                            copyAtMost(tar, work.resolve(file.name()), file.size());
                        }
                    }
                }
            }
        } else {
            for (FileSpec file : wanted) {
                URI gz = source.location().resolve(file.name() + ".gz");
                try (InputStream in = gunzip(gz)) {
                    copyAtMost(in, work.resolve(file.name()), file.size());
                } catch (IOException e) {
                    throw new IOException(file.name() + ".gz: " + reason(e), e);
                }
            }
        }
    }

    private static InputStream gunzip(URI uri) throws IOException {
        if ("file".equals(uri.getScheme())) {
            return new GZIPInputStream(Files.newInputStream(Path.of(uri)), 1 << 16);
        }
        HttpURLConnection http = (HttpURLConnection) uri.toURL().openConnection();
        http.setConnectTimeout(20_000);
        http.setReadTimeout(60_000);
        if (http.getResponseCode() != HttpURLConnection.HTTP_OK) {
            throw new IOException("HTTP " + http.getResponseCode() + " " + http.getResponseMessage());
        }
        return new GZIPInputStream(http.getInputStream(), 1 << 16);
    }

    /** At most {@code expected + 1} bytes: enough to see that a file is too long, without filling the disk. */
    private static void copyAtMost(InputStream in, Path target, long expected) throws IOException {
        Files.copy(new BoundedInputStream(in, expected + 1), target);
    }

    /** The files that are missing or wrong, each reported when {@code report}; a directory in the way is an error. */
    private List<FileSpec> problems(Path dir, boolean report) throws IOException {
        List<FileSpec> bad = new ArrayList<>();
        for (FileSpec file : files) {
            Path path = dir.resolve(file.name());
            if (Files.isDirectory(path)) {   // it can be neither verified nor replaced
                throw new IOException(label + ": " + path + " is a directory, where the dataset file " + file.name()
                        + " should be; move or delete it, and the file is fetched next time");
            }
            String problem = Files.exists(path) ? problem(path, file) : "is missing";
            if (problem != null) {
                bad.add(file);
                if (report) {
                    info(path + " " + problem
                            + (Files.exists(path) ? "; it will not be used and is fetched again" : ""));
                }
            }
        }
        return bad;
    }

    /** What is wrong with the file at {@code path}, or null if its size and SHA-256 are right. */
    private static String problem(Path path, FileSpec file) throws IOException {
        long size = Files.size(path);
        if (size != file.size()) {
            return "has " + size + " bytes, expected " + file.size()
                    + (size < file.size() ? " (truncated download?)" : "");
        }
        String sha;
        try (InputStream in = Files.newInputStream(path)) {
            sha = DigestUtils.sha256Hex(in);
        }
        return sha.equals(file.sha256()) ? null : "has SHA-256 " + sha + ", expected " + file.sha256() + " (corrupt)";
    }

    private static String reason(IOException e) {
        return e.getClass() == IOException.class ? e.getMessage() : e.toString();   // names the kind
    }

    private static String names(List<FileSpec> files) {
        return String.join(", ", files.stream().map(FileSpec::name).toList());
    }

    private void info(String message) {
        log.println("[xent4j] " + label + ": " + message);
    }

    /** Fetches and verifies the datasets named ({@code mnist}, {@code fashion}; none: both); status 1 if one failed. */
    public static void main(String[] args) {
        boolean failed = false;
        for (String name : args.length == 0 ? new String[]{"mnist", "fashion"} : args) {
            try {
                ImageDataset dataset = ImageDataset.valueOf(name.toUpperCase(Locale.ROOT));
                System.out.println(dataset + ": " + dataset.ensureAvailable(ImageDataset.defaultRoot()) + " verified");
            } catch (IllegalArgumentException | IOException e) {
                System.err.println(e instanceof IOException ? e.getMessage()
                        : "unknown dataset '" + name + "', expected mnist or fashion");
                failed = true;
            }
        }
        if (failed) {
            System.exit(1);
        }
    }
}
