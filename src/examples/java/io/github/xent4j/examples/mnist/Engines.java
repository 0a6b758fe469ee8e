package io.github.xent4j.examples.mnist;

import java.util.List;
import java.util.Locale;

/** Looks up an {@link Engine} by its {@code --engine} name. */
public final class Engines {

    /** The built-in engine names, in the order {@code --help} lists them. */
    public static final List<String> NAMES = List.of("dl4j", "samediff");

    private Engines() {
    }

    /**
     * The engine called {@code name}: {@code dl4j} ({@link Dl4jEngine}) or {@code samediff}
     * ({@link SameDiffEngine}).
     *
     * @throws IllegalArgumentException if the name is unknown
     */
    public static Engine forName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "dl4j" -> new Dl4jEngine();
            case "samediff" -> new SameDiffEngine();
            default -> throw new IllegalArgumentException("unknown engine '" + name + "'; expected one of " + NAMES);
        };
    }
}
