package io.github.xent4j.examples.mnist;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The MNIST example's command line: {@code train}, {@code evaluate} and {@code distill} (the
 * research measurements are {@code io.github.xent4j.examples.mnist.Experiments}, in
 * {@code src/jmh}). Run through Maven from the project root:
 * <pre>{@code
 * mvn -q -B test-compile exec:java -Dexec.args="train --model mlp"
 * mvn -q -B test-compile exec:java -Dexec.args="--help"
 * }</pre>
 *
 * <p>Exit status: 0 on success, 1 when a run fails (the reason on standard error), 2 for a
 * usage error (bad or conflicting options, an engine that is not available).
 */
@Command(name = "mnist", mixinStandardHelpOptions = true, version = "xent4j MNIST example 0.1.0",
        description = "Trains and evaluates MNIST / Fashion-MNIST classifiers with xent4j's "
                + "LossSoftmaxCrossEntropy (or DL4J's LossMCXENT, for comparison).",
        subcommands = {TrainCommand.class, EvaluateCommand.class, DistillCommand.class, CommandLine.HelpCommand.class})
public final class MnistApp implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing a command: train, evaluate or distill");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int status = execute(System.out, System.err, args);
        System.out.flush();
        // exit explicitly: ND4J leaves non-daemon threads, which would keep exec:java waiting.
        System.exit(status);
    }

    /** Runs the command line with the given streams; returns the exit status. Used by main and the tests. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = commandLine(out, err);
        return cl.execute(args);
    }

    /** The app's command line, with {@code extraCommands} (annotated command classes) added. */
    static CommandLine commandLine(PrintStream out, PrintStream err, Class<?>... extraCommands) {
        CommandLine cl = new CommandLine(new MnistApp(), new StreamFactory(out, err));
        for (Class<?> c : extraCommands) {
            cl.addSubcommand(c);
        }
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, arguments) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("see: mnist " + qualifiedName(c) + " --help");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            if (ex instanceof UsageException) {
                c.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            c.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (Boolean.getBoolean("xent4j.stacktrace")) {
                ex.printStackTrace(err);
            } else {
                c.getErr().println("(-Dxent4j.stacktrace=true shows the stack trace)");
            }
            return 1;
        });
        return cl;
    }

    private static String qualifiedName(CommandLine c) {
        String name = c.getCommandSpec().qualifiedName(" ");
        return name.startsWith("mnist ") ? name.substring(6) : name.equals("mnist") ? "" : name;
    }

    /** An error in what the user asked for, found after parsing (exit status 2). */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Hands every command the streams given to {@link #execute}. */
    private record StreamFactory(PrintStream out, PrintStream err) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (PrintingCommand.class.isAssignableFrom(cls)) {
                K k = CommandLine.defaultFactory().create(cls);
                ((PrintingCommand) k).out = out;
                ((PrintingCommand) k).err = err;
                return k;
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    /** Base of the commands: where they print, pointed at the app's streams by the factory. */
    abstract static class PrintingCommand implements Callable<Integer> {
        PrintStream out = System.out;
        PrintStream err = System.err;
    }
}
