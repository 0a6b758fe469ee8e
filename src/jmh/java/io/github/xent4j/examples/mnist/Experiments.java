package io.github.xent4j.examples.mnist;

import java.io.PrintStream;
import picocli.CommandLine;

/**
 * Research measurements on the MNIST example app (the tables of the examples page), kept beside
 * the benchmarks: the app's command line with {@code experiment NAME ...} added.
 * <pre>{@code
 * mvn -q -B test-compile exec:java -Dexec.mainClass=io.github.xent4j.examples.mnist.Experiments \
 *     -Dexec.args="accuracy --models mlp --seeds 1,2,3"
 * }</pre>
 * The arguments are those of {@link ExperimentCommand}; the exit status is the app's.
 */
public final class Experiments {
    private Experiments() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int status = execute(System.out, System.err, args);
        System.out.flush();
        System.exit(status);                 // ND4J leaves non-daemon threads
    }

    /** Runs {@code mnist experiment args...}; returns the exit status. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = MnistApp.commandLine(out, err, ExperimentCommand.class);
        String[] full = new String[args.length + 1];
        full[0] = "experiment";
        System.arraycopy(args, 0, full, 1, args.length);
        return cl.execute(full);
    }
}
