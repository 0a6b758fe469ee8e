package io.github.xent4j.examples.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.github.xent4j.examples.data.TestFiles.gzip;
import static io.github.xent4j.examples.data.TestFiles.idx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {

    // 3 images of 2x2; includes the values that a signed-byte decoding would get wrong.
    private static final byte[] PIXELS = {
            0, 1, (byte) 127, (byte) 128,
            (byte) 255, (byte) 200, 2, 3,
            10, 20, 30, (byte) 254};
    private static final byte[] IMAGES = idx(new int[]{3, 2, 2}, PIXELS);
    private static final byte[] LABELS = idx(new int[]{3}, new byte[]{7, 0, 9});

    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void imagesRoundTripRawAndGzip(boolean gz) throws IOException {
        // Named without .gz on purpose: compression is recognised by content, not by name.
        Path file = write("images", gz ? gzip(IMAGES) : IMAGES);

        INDArray raw = IdxReader.readUnsignedBytes(file, IdxReader.IMAGES_MAGIC);
        assertEquals(DataType.UBYTE, raw.dataType());
        assertArrayEquals(new long[]{3, 2, 2}, raw.shape());

        INDArray x = IdxReader.readImages(file);
        assertEquals(DataType.FLOAT, x.dataType());
        assertArrayEquals(new long[]{3, 4}, x.shape());
        float[] actual = x.data().asFloat();
        for (int i = 0; i < PIXELS.length; i++) {
            assertEquals((PIXELS[i] & 0xff) / 255f, actual[i], 0f, "pixel " + i);
        }
    }

    @Test
    void unsignedBytesDecodeAbove127() throws IOException {
        INDArray x = IdxReader.readImages(write("images", IMAGES));
        assertEquals(1.0f, x.getFloat(1, 0), 0f);              // 255
        assertEquals(128f / 255f, x.getFloat(0, 3), 0f);       // 128
        assertEquals(254f / 255f, x.getFloat(2, 3), 0f);       // 254
        assertEquals(0f, x.getFloat(0, 0), 0f);
        assertTrue(x.minNumber().floatValue() >= 0f && x.maxNumber().floatValue() <= 1f);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void labelsRoundTripAndOneHot(boolean gz) throws IOException {
        int[] ids = IdxReader.readLabels(write("labels", gz ? gzip(LABELS) : LABELS));
        assertArrayEquals(new int[]{7, 0, 9}, ids);

        INDArray oneHot = IdxReader.oneHot(ids, 10);
        assertArrayEquals(new long[]{3, 10}, oneHot.shape());
        assertEquals(DataType.FLOAT, oneHot.dataType());
        assertEquals(3.0, oneHot.sumNumber().doubleValue(), 0.0);
        assertEquals(1f, oneHot.getFloat(0, 7), 0f);
        assertEquals(1f, oneHot.getFloat(1, 0), 0f);
        assertEquals(1f, oneHot.getFloat(2, 9), 0f);
    }

    @Test
    void labelAbove127IsUnsigned() throws IOException {
        int[] ids = IdxReader.readLabels(write("labels", idx(new int[]{2}, new byte[]{(byte) 200, 5})));
        assertArrayEquals(new int[]{200, 5}, ids);
    }

    @Test
    void wrongMagicNamesFileAndBothMagics() throws IOException {
        Path labels = write("labels", LABELS);
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(labels));
        assertTrue(e.getMessage().contains(labels.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000801") && e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void notIdxAtAll() throws IOException {
        Path text = write("text", "hello world, not idx".getBytes());
        IOException e = assertThrows(IOException.class, () -> IdxReader.readLabels(text));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void truncatedRawNamesExpectedAndActualLength() throws IOException {
        Path file = write("images", Arrays.copyOf(IMAGES, IMAGES.length - 1));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains((IMAGES.length - 1) + " bytes, expected " + IMAGES.length),
                e.getMessage());
    }

    @Test
    void trailingBytesRaw() throws IOException {
        Path file = write("images", Arrays.copyOf(IMAGES, IMAGES.length + 3));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains((IMAGES.length + 3) + " bytes, expected " + IMAGES.length),
                e.getMessage());
    }

    @Test
    void truncatedGzip() throws IOException {
        Path file = write("images.gz", gzip(Arrays.copyOf(IMAGES, IMAGES.length - 5)));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains("expected 12 data bytes") && e.getMessage().contains("found 7"),
                e.getMessage());
    }

    @Test
    void trailingBytesGzip() throws IOException {
        Path file = write("images.gz", gzip(Arrays.copyOf(IMAGES, IMAGES.length + 1)));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains("longer than its header"), e.getMessage());
    }

    @Test
    void truncatedHeader() throws IOException {
        Path shortMagic = write("a", new byte[]{0, 0});
        assertTrue(assertThrows(IOException.class, () -> IdxReader.readLabels(shortMagic))
                .getMessage().contains("truncated"));
        Path shortSizes = write("b", Arrays.copyOf(IMAGES, 9));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(shortSizes));
        assertTrue(e.getMessage().contains("header needs 16 bytes, found 9"), e.getMessage());
    }

    @Test
    void zeroSize() throws IOException {
        Path file = write("images", idx(new int[]{0, 2, 2}, new byte[0]));
        IOException e = assertThrows(IOException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains("size 0 in dimension 0"), e.getMessage());
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> IdxReader.readUnsignedBytes(dir, 0x0d03));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IdxReader.oneHot(new int[]{1, 10}, 10));
        assertTrue(e.getMessage().contains("classIds[1] = 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IdxReader.oneHot(new int[]{1}, 0));
    }

    @Test
    void mnistDataChecksCountsAndLabelRange() throws IOException {
        Path images = write("images", IMAGES);
        List<String> names = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

        MnistData data = MnistData.read(images, write("labels", LABELS), names);
        assertEquals(3, data.numExamples());
        assertEquals(4, data.numFeatures());
        assertArrayEquals(new long[]{3, 10}, data.labels().shape());
        assertArrayEquals(new long[]{3, 1}, data.classIndexLabels().shape());
        assertEquals(9f, data.classIndexLabels().getFloat(2, 0), 0f);

        Path twoLabels = write("labels2", idx(new int[]{2}, new byte[]{1, 2}));
        IOException count = assertThrows(IOException.class, () -> MnistData.read(images, twoLabels, names));
        assertTrue(count.getMessage().contains("3 images") && count.getMessage().contains("2 labels"),
                count.getMessage());

        Path outOfRange = write("labels3", idx(new int[]{3}, new byte[]{1, 2, 10}));
        IOException range = assertThrows(IOException.class, () -> MnistData.read(images, outOfRange, names));
        assertTrue(range.getMessage().contains("classIds[2] = 10"), range.getMessage());
    }
}
