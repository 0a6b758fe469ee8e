package io.github.xent4j.examples.mnist;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Locale;

/** Looks up an {@link Engine} by its {@code --engine} name. */
public final class Engines {

    /** The built-in engine names, in the order {@code --help} lists them. */
    public static final List<String> NAMES = List.of("dl4j", "samediff");

    /**
     * The class that implements {@code --engine samediff}. It is looked up by name, so adding
     * the engine is adding this one class: no other file changes.
     */
    public static final String SAMEDIFF_CLASS = "io.github.xent4j.examples.mnist.SameDiffEngine";

    private Engines() {
    }

    /**
     * The engine called {@code name}.
     *
     * @throws EngineUnavailableException if the name is known but its engine is not built yet
     * @throws IllegalArgumentException   if the name is unknown
     */
    public static Engine forName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "dl4j" -> new Dl4jEngine();
            case "samediff" -> load(SAMEDIFF_CLASS, "samediff",
                    "the SameDiff MLP (built on io.github.xent4j.samediff.XentSameDiff.softmaxCrossEntropy) "
                            + "is not part of this example yet; use --engine dl4j (the default)");
            default -> throw new IllegalArgumentException("unknown engine '" + name + "'; expected one of " + NAMES);
        };
    }

    private static Engine load(String className, String name, String why) {
        Class<?> type;
        try {
            type = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new EngineUnavailableException("--engine " + name + " is not available yet: " + why + ".");
        }
        try {
            return (Engine) type.getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new EngineUnavailableException("--engine " + name + " could not start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException(className + " must be a public Engine with a public no-argument "
                    + "constructor", e);
        } catch (LinkageError e) {
            // The class is there but the op it uses is not (e.g. an older library jar).
            throw new EngineUnavailableException("--engine " + name + " is not available: " + e, e);
        }
    }

    /** A known engine that cannot be used in this build; the message says why. */
    public static final class EngineUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EngineUnavailableException(String message) {
            super(message);
        }

        EngineUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
