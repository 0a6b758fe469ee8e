package io.github.xent4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The kernel against fixtures computed with 50-digit arithmetic by
 * {@code src/test/resources/fixtures/make_xent_fixtures.py} (mpmath), committed beside it.
 */
class XentFixtureTest {
    static final String RESOURCE = "/fixtures/xent_fixtures.json";

    static JsonNode document() throws Exception {
        try (InputStream in = XentFixtureTest.class.getResourceAsStream(RESOURCE)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Stream<Arguments> cases() throws Exception {
        List<Arguments> list = new ArrayList<>();
        for (JsonNode c : document().get("cases")) {
            list.add(Arguments.of(c.get("dtype").asText() + ": " + c.get("name").asText(), c));
        }
        return list.stream();
    }

    @Test
    void fixtureFileIsTheExpectedFormat() throws Exception {
        JsonNode doc = document();
        assertEquals(1, doc.get("format").asInt(), "regenerate with make_xent_fixtures.py");
        assertEquals("make_xent_fixtures.py", doc.get("generator").asText());
        assertTrue(doc.get("digits").asInt() >= 50);
        assertTrue(doc.get("cases").size() >= 30);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kernelMatchesFixture(String name, JsonNode c) {
        DataType type = DataType.valueOf(c.get("dtype").asText());
        double[][] z = matrix(c.get("logits"));
        int n = z.length;
        int k = z[0].length;
        INDArray logits = Nd4j.createFromArray(z).castTo(type);
        INDArray labels = "ids".equals(c.get("labelKind").asText())
                ? Nd4j.createFromArray(ints(c.get("labels"))).reshape(n, 1)
                : Nd4j.createFromArray(matrix(c.get("labels"))).castTo(type);
        INDArray mask = null;
        JsonNode m = c.get("mask");
        if (m != null && !m.isNull()) {
            mask = "perOutput".equals(c.get("maskKind").asText()) ? Nd4j.createFromArray(matrix(m)).castTo(type)
                    : Nd4j.createFromArray(vector(m)).reshape(n, 1).castTo(type);
        }
        INDArray maskArray = mask;
        KernelVariants.forEach(path -> {
            XentKernel.Result r = path.compute(logits, labels, maskArray, options(c.get("options")),
                    XentKernel.Output.BOTH);
            double[] loss = TestArrays.vector(r.loss());
            double[][] grad = TestArrays.values(r.gradient());
            Tolerance tol = Tolerance.of(type, k).withMargin();
            JsonNode expected = c.get("expected");
            String what = name + " (" + path + ")";
            for (int i = 0; i < n; i++) {
                JsonNode e = expected.get(i);
                tol.check(what + " loss row " + i, loss[i], parse(e.get("loss")), parse(e.get("lossScale")));
                for (int j = 0; j < k; j++) {
                    tol.check(what + " gradient [" + i + "," + j + "]", grad[i][j],
                            parse(e.get("gradient").get(j)), parse(e.get("gradientScale")));
                }
            }
        });
    }

    static XentOptions options(JsonNode o) {
        XentOptions.Builder b = XentOptions.builder();
        if (o.has("classWeights")) {
            b.classWeights(vector(o.get("classWeights")));
        }
        if (o.has("labelSmoothing")) {
            b.labelSmoothing(o.get("labelSmoothing").asDouble());
        }
        if (o.has("temperature")) {
            b.temperature(o.get("temperature").asDouble());
        }
        if (o.has("zLoss")) {
            b.zLoss(o.get("zLoss").asDouble());
        }
        if (o.has("ignoreIndex")) {
            b.ignoreIndex(o.get("ignoreIndex").asInt());
        }
        return b.build();
    }

    static double parse(JsonNode v) {
        return v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText());
    }

    static double[] vector(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = parse(a.get(i));
        }
        return v;
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    static double[][] matrix(JsonNode a) {
        double[][] m = new double[a.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(a.get(i));
        }
        return m;
    }
}
