package io.github.xent4j.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick starts compile and run as pasted: every {@code java} code block of README.md
 * that declares a public class is compiled with {@code --release 11} (the Java the library
 * supports) against the test class path, and its {@code main} is run; each trains on soft labels
 * and prints its loss before and after, which must have dropped.
 */
class ReadmeSnippetsTest {

    private static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```");
    private static final Pattern PUBLIC_CLASS = Pattern.compile("(?m)^public class (\\w+)");
    private static final Pattern RESULT = Pattern.compile("loss before (\\S+), after (\\S+)");

    static Path classes;
    static Map<String, String> programs;

    @BeforeAll
    static void compileTheReadmesPrograms(@TempDir Path dir) throws IOException {
        programs = programs(Docs.read(Docs.root().resolve("README.md")));
        assertEquals(List.of("Dl4jQuickStart", "SameDiffQuickStart"), new ArrayList<>(programs.keySet()),
                "the README's complete programs");
        Path src = Files.createDirectories(dir.resolve("src"));
        classes = Files.createDirectories(dir.resolve("classes"));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> e : programs.entrySet()) {
            files.add(Files.writeString(src.resolve(e.getKey() + ".java"), e.getValue()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of("--release", "11", "-classpath", testClassPath(), "-d", classes.toString());
            boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                report.append(d).append('\n');
            }
            assertTrue(ok, "the README's programs do not compile:\n" + report);
        }
    }

    @Test
    void dl4jQuickStartTrainsOnSoftLabels() throws Exception {
        assertLossDrops("Dl4jQuickStart");
    }

    @Test
    void sameDiffQuickStartTrainsOnSoftLabels() throws Exception {
        assertLossDrops("SameDiffQuickStart");
    }

    /**
     * The programs' label rows put 0.7 on one class and 0.5 on the last of K = 3, smoothed with
     * eps = 0.1: y' = 0.9 y + 0.1/3 in every row, S = sum y'. No prediction p can score below
     * the row's floor -sum y'_k log(y'_k / S), which p = y'/S reaches. Training must close at least
     * half of the gap between the first loss and that floor, and never go below it.
     */
    private static void assertLossDrops(String program) throws Exception {
        double[] y = {0.7, 0.0, 0.5};
        double eps = 0.1;
        double[] smoothed = new double[y.length];
        double s = 0;
        for (int k = 0; k < y.length; k++) {
            smoothed[k] = (1 - eps) * y[k] + eps / y.length;
            s += smoothed[k];
        }
        double floor = 0;
        for (double v : smoothed) {
            floor -= v * Math.log(v / s);
        }

        String out = runMain(program);
        Matcher m = RESULT.matcher(out);
        assertTrue(m.find(), program + " printed no 'loss before ..., after ...' line: " + out);
        double before = Double.parseDouble(m.group(1));
        double after = Double.parseDouble(m.group(2));
        assertTrue(Double.isFinite(before) && Double.isFinite(after), out);
        assertTrue(after >= floor - 1e-5, program + ": loss " + after + " below the floor " + floor);
        assertTrue(after - floor < 0.5 * (before - floor),
                program + ": expected training to close half the gap to the floor " + floor + ", got " + out);
    }

    private static String runMain(String program) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeSnippetsTest.class.getClassLoader())) {
            Method main = loader.loadClass(program).getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        return out;
    }

    /** The {@code java} blocks that declare a public class, by class name, in README order. */
    static Map<String, String> programs(String markdown) {
        Map<String, String> found = new LinkedHashMap<>();
        Matcher block = JAVA_BLOCK.matcher(markdown);
        while (block.find()) {
            Matcher name = PUBLIC_CLASS.matcher(block.group(1));
            if (name.find()) {
                found.put(name.group(1), block.group(1));
            }
        }
        return found;
    }

    /** Surefire runs tests from a manifest-only jar; it names the real class path in a property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isEmpty()) {
            cp = System.getProperty("java.class.path");
        }
        return cp;
    }

    static {
        if (ToolProvider.getSystemJavaCompiler() == null) {
            throw new UncheckedIOException(new IOException("the tests need a JDK (javax.tools), not a JRE"));
        }
    }
}
