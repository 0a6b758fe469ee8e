package io.github.xent4j.examples.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;

/** Builds small IDX files and checksums for tests. */
final class TestFiles {

    private TestFiles() {
    }

    /** An IDX file of unsigned bytes with the given sizes and data. */
    static byte[] idx(int[] sizes, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * sizes.length + data.length);
        b.putInt(0x00000800 | sizes.length);
        for (int s : sizes) {
            b.putInt(s);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static DatasetFetcher.FileSpec spec(String name, byte[] content) {
        return new DatasetFetcher.FileSpec(name, content.length, sha256(content));
    }
}
