package io.github.xent4j.examples.data;

import com.sun.net.httpserver.HttpServer;
import io.github.xent4j.examples.data.DatasetFetcher.FileSpec;
import io.github.xent4j.examples.data.DatasetFetcher.Source;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static io.github.xent4j.examples.data.TestFiles.gzip;
import static io.github.xent4j.examples.data.TestFiles.sha256;
import static io.github.xent4j.examples.data.TestFiles.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fetcher against local sources only: gzip files in a directory, and a loopback HTTP server. */
class DatasetFetcherTest {

    private static final byte[] A = content(1, 5000);
    private static final byte[] B = content(2, 300);
    private static final List<FileSpec> FILES = List.of(spec("a-idx3-ubyte", A), spec("b-idx1-ubyte", B));

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    private static byte[] content(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private Path ensure(Path dir, Source... sources) throws IOException {
        return new DatasetFetcher("TEST", FILES, List.of(sources), "do the manual thing",
                new PrintStream(logBytes, true, StandardCharsets.UTF_8)).ensureAvailable(dir);
    }

    /** A directory of gzip files with the given (uncompressed) contents, as the Debian package has. */
    private Source gzipDir(String name, Map<String, byte[]> contents) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            Files.write(dir.resolve(e.getKey() + ".gz"), gzip(e.getValue()));
        }
        return Source.gzipFiles(dir.toUri());
    }

    private static void assertInstalled(Path dir) throws IOException {
        assertArrayEquals(A, Files.readAllBytes(dir.resolve("a-idx3-ubyte")));
        assertArrayEquals(B, Files.readAllBytes(dir.resolve("b-idx1-ubyte")));
        try (Stream<Path> list = Files.list(dir)) {
            assertEquals(List.of(), list.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(DatasetFetcher.TEMP_PREFIX)).toList(), "work directories left behind");
        }
    }

    @Test
    void fetchesMissingFilesOnceThenOnlyVerifies() throws IOException {
        Source source = gzipDir("debian", Map.of("a-idx3-ubyte", A, "b-idx1-ubyte", B));
        Path dir = tmp.resolve("ds");

        assertEquals(dir.toAbsolutePath(), ensure(dir, source));
        assertInstalled(dir);

        // The source is gone: a second call must find everything verified and fetch nothing.
        Path gone = Path.of(source.location());
        for (String name : List.of("a-idx3-ubyte.gz", "b-idx1-ubyte.gz")) {
            Files.delete(gone.resolve(name));
        }
        assertEquals(dir.toAbsolutePath(), ensure(dir, source));
    }

    @Test
    void tarballOverHttpAfterAMirrorThatAnswers404() throws IOException {
        ByteArrayOutputStream tgz = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(tgz))) {
            for (Map.Entry<String, byte[]> e : Map.of("package/readme.md", "hi".getBytes(StandardCharsets.UTF_8),
                    "package/data/a-idx3-ubyte", A, "package/data/b-idx1-ubyte", B).entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            boolean found = exchange.getRequestURI().getPath().equals("/x-1.0.0.tgz");
            exchange.sendResponseHeaders(found ? 200 : 404, found ? tgz.size() : -1);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(found ? tgz.toByteArray() : new byte[0]);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Path dir = tmp.resolve("ds");
            ensure(dir, Source.gzipFiles(URI.create(base + "/gone")),
                    new Source(URI.create(base + "/x-1.0.0.tgz"), "package/data/"));
            assertInstalled(dir);
            assertTrue(log().contains("a-idx3-ubyte.gz: HTTP 404"), log());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void corruptFileOfTheRightSizeIsReportedAndOnlyItIsFetchedAgain() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        byte[] corrupt = A.clone();
        corrupt[1234] ^= 1;
        Files.write(dir.resolve("a-idx3-ubyte"), corrupt);
        Files.write(dir.resolve("b-idx1-ubyte"), B);

        ensure(dir, gzipDir("only-a", Map.of("a-idx3-ubyte", A)));   // b must not be asked for

        assertInstalled(dir);
        assertTrue(log().contains("a-idx3-ubyte has SHA-256 " + sha256(corrupt) + ", expected " + sha256(A)
                + " (corrupt); it will not be used and is fetched again"), log());
    }

    @Test
    void truncatedFileIsReportedWithBothSizesAndReplaced() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        Files.write(dir.resolve("a-idx3-ubyte"), Arrays.copyOf(A, 100));
        Files.write(dir.resolve("b-idx1-ubyte"), B);

        ensure(dir, gzipDir("only-a", Map.of("a-idx3-ubyte", A)));

        assertInstalled(dir);
        assertTrue(log().contains("a-idx3-ubyte has 100 bytes, expected 5000 (truncated download?)"), log());
    }

    @Test
    void unreachableAndWrongSourcesGiveEveryAttemptAndNoFinalFile() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        byte[] corrupt = A.clone();
        corrupt[0] ^= 0x55;
        byte[] tooLong = Arrays.copyOf(B, 5000);
        Path dir = tmp.resolve("ds");

        IOException e = assertThrows(IOException.class, () -> ensure(dir,
                Source.gzipFiles(URI.create("http://127.0.0.1:" + closedPort + "/mnist/")),
                gzipDir("wrong", Map.of("a-idx3-ubyte", corrupt, "b-idx1-ubyte", tooLong))));

        String m = e.getMessage();
        assertTrue(m.startsWith("TEST: could not obtain a-idx3-ubyte, b-idx1-ubyte in " + dir.toAbsolutePath()), m);
        assertTrue(m.contains("\n  1. http://127.0.0.1:" + closedPort + "/mnist/: a-idx3-ubyte.gz: "
                + "java.net.ConnectException"), m);
        assertTrue(m.contains("\n  2. " + tmp.resolve("wrong").toUri() + ": a-idx3-ubyte has SHA-256 " + sha256(corrupt)
                + ", expected " + sha256(A) + " (corrupt); b-idx1-ubyte has 301 bytes, expected 300\n"), m);
        assertTrue(m.endsWith("To fix: do the manual thing. See datasets/README.md."), m);
        assertFalse(Files.exists(dir.resolve("a-idx3-ubyte")), "a wrong file must never get a final name");
        assertFalse(Files.exists(dir.resolve("b-idx1-ubyte")), "a wrong file must never get a final name");
    }

    @Test
    void aDirectoryWhereAFileShouldBeIsAClearErrorAndNothingIsFetched() throws IOException {
        Path dir = tmp.resolve("ds");
        Files.createDirectories(dir.resolve("b-idx1-ubyte"));
        IOException e = assertThrows(IOException.class,
                () -> ensure(dir, gzipDir("debian", Map.of("a-idx3-ubyte", A, "b-idx1-ubyte", B))));
        assertTrue(e.getMessage().contains(dir.toAbsolutePath().resolve("b-idx1-ubyte") + " is a directory, where the "
                + "dataset file b-idx1-ubyte should be"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("a-idx3-ubyte")));
    }

    @Test
    void aDatasetsDirectoryThatCannotBeCreatedSaysWhy() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class,
                () -> ensure(file.resolve("ds"), gzipDir("debian", Map.of("a-idx3-ubyte", A))));
        assertTrue(e.getMessage().contains("cannot write the datasets directory " + file.resolve("ds"))
                && e.getMessage().contains(ImageDataset.ROOT_PROPERTY), e.getMessage());
    }

    @Test
    void whatAKilledFetchLeftIsRemovedAndNeverUsed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        Path leftover = Files.createDirectories(dir.resolve(DatasetFetcher.TEMP_PREFIX + "12345"));
        Files.write(leftover.resolve("a-idx3-ubyte"), Arrays.copyOf(A, 2000));

        ensure(dir, gzipDir("debian", Map.of("a-idx3-ubyte", A, "b-idx1-ubyte", B)));

        assertFalse(Files.exists(leftover));
        assertInstalled(dir);
    }
}
