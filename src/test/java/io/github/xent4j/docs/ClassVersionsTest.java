package io.github.xent4j.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.xent4j.XentKernel;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's classes are Java 11 bytecode (class file major version 55), so that a DL4J user
 * on Java 11 can load the jar; only the multi-release part, {@code META-INF/versions/17} (the
 * Vector API kernel), is Java 17 (61). Checked on the compiled classes the jar is made of.
 */
class ClassVersionsTest {

    private static final int JAVA_11 = 55;
    private static final int JAVA_17 = 61;

    @Test
    void libraryClassesAreJava11AndTheVersionedOnesJava17() throws Exception {
        Path classes = Path.of(XentKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "expected the compiled classes directory, got " + classes);
        Path versions = classes.resolve("META-INF").resolve("versions");
        List<Path> all;
        try (Stream<Path> walk = Files.walk(classes)) {
            all = walk.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        List<String> wrong = new ArrayList<>();
        int base = 0;
        int versioned = 0;
        for (Path c : all) {
            int major = major(c);
            int expected;
            if (c.startsWith(versions)) {
                expected = classes.relativize(c).getName(2).toString().equals("17") ? JAVA_17 : -1;
                versioned++;
            } else {
                expected = JAVA_11;
                base++;
            }
            if (major != expected) {
                wrong.add(classes.relativize(c) + ": major version " + major + ", expected " + expected);
            }
        }
        assertEquals(List.of(), wrong, "class file versions");
        assertTrue(base > 10, "expected the library's classes under " + classes + ", found " + base);
        assertTrue(versioned >= 1, "expected the Vector API kernel under " + versions + ", found " + versioned);
        assertTrue(Files.exists(versions.resolve("17/io/github/xent4j/VectorKernelPath.class")),
                "VectorKernelPath.class under META-INF/versions/17");
    }

    private static int major(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile); DataInputStream data = new DataInputStream(in)) {
            int magic = data.readInt();
            assertEquals(0xCAFEBABE, magic, classFile + " is not a class file");
            data.readUnsignedShort();   // minor
            return data.readUnsignedShort();
        }
    }
}
