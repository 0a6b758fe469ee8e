package io.github.xent4j.samediff;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.env.EnvironmentalAction;

/**
 * Makes the xent4j ops known to SameDiff by name, automatically, when ND4J starts.
 *
 * <p>SameDiff copies every op through FlatBuffers when it creates gradients
 * ({@code createGradFunction}, {@code calculateGradients}, {@code fit}) and when it loads a saved
 * graph. A copy stores only the op's name; the class is found again by looking the name up in
 * {@code ImportClassMapping.getOpNameMapping()}, which ND4J 1.0.0-M2.1 fills with its own ops
 * only. {@link #register()} adds ours.
 *
 * <p>It must run before any of that, including in a JVM that only loads a saved graph and has not
 * touched an xent4j class yet. This class is therefore listed in
 * {@code META-INF/services/org.nd4j.linalg.env.EnvironmentalAction}: ND4J instantiates every such
 * service while it initialises ({@code Nd4j.initWithBackend}) and this constructor registers.
 * ({@link #process} runs only when the environment variable named by {@link #targetVariable()} is
 * set, so nothing is done there.) {@link XentSameDiff} also registers from its static
 * initializer.
 *
 * <p>Cost: registering initialises ND4J's {@code ImportClassMapping} (about 0.3 s, which every
 * SameDiff user pays anyway; it logs two "Duplicate TF op mapping" warnings). To skip it for
 * programs that never use SameDiff, start the JVM with
 * {@code -Dxent4j.samediff.autoRegister=false}; then call {@link XentSameDiff#register()} before
 * {@code SameDiff.load} of a graph that contains xent4j ops (building a graph with
 * {@link XentSameDiff} registers by itself).
 *
 * <p>Fat jars must merge service files (maven-shade-plugin's
 * {@code ServicesResourceTransformer}), as ND4J's own backend discovery requires anyway.
 */
public final class XentOpsRegistration implements EnvironmentalAction {
    /** System property that turns the automatic registration at ND4J start-up off ({@code false}). */
    public static final String AUTO_REGISTER_PROPERTY = "xent4j.samediff.autoRegister";

    /** Names of all xent4j ops, as stored in saved graphs. */
    public static final List<String> OP_NAMES = Collections.unmodifiableList(Arrays.asList(
            SoftmaxCrossEntropyOp.OP_NAME, SoftmaxCrossEntropyBpOp.OP_NAME,
            LogSoftmaxOp.OP_NAME, LogSoftmaxBpOp.OP_NAME,
            LogSumExpOp.OP_NAME, LogSumExpBpOp.OP_NAME));

    private static volatile boolean registered;
    private static volatile boolean registeredAtStartup;
    private static volatile Throwable startupFailure;

    /**
     * Called by ND4J's service loader during {@code Nd4j} initialisation: registers the ops unless
     * {@code -Dxent4j.samediff.autoRegister=false}. Never throws (a failure must not break ND4J
     * for programs that do not use SameDiff); the failure is kept for {@link #startupFailure()}
     * and {@link XentSameDiff#register()} retries and throws it.
     */
    public XentOpsRegistration() {
        if ("false".equalsIgnoreCase(System.getProperty(AUTO_REGISTER_PROPERTY, "true").trim())) {
            return;
        }
        try {
            register();
            registeredAtStartup = true;
        } catch (IllegalStateException e) {        // all that register() throws
            startupFailure = e;
        }
    }

    /**
     * Adds every xent4j op to {@code ImportClassMapping.getOpNameMapping()}; idempotent and
     * thread-safe.
     *
     * @throws IllegalStateException if ND4J's op registry cannot be reached (ND4J changed)
     */
    static void register() {
        if (registered) {
            return;
        }
        synchronized (XentOpsRegistration.class) {
            if (registered) {
                return;
            }
            List<DifferentialFunction> ops = Arrays.asList(
                    new SoftmaxCrossEntropyOp(), new SoftmaxCrossEntropyBpOp(),
                    new LogSoftmaxOp(), new LogSoftmaxBpOp(),
                    new LogSumExpOp(), new LogSumExpBpOp());
            try {
                for (DifferentialFunction op : ops) {
                    ImportClassMapping.getOpNameMapping().put(op.opName(), op);
                }
            } catch (RuntimeException | LinkageError e) {
                throw new IllegalStateException("xent4j could not register its SameDiff ops in ND4J's "
                        + "ImportClassMapping.getOpNameMapping() (ND4J changed; xent4j supports 1.0.0-M2.1)", e);
            }
            registered = true;
        }
    }

    /** Whether the ops are registered in this JVM. */
    static boolean isRegistered() {
        return registered;
    }

    /** Whether ND4J's start-up (this service) registered the ops, rather than an explicit call. */
    public static boolean registeredAtStartup() {
        return registeredAtStartup;
    }

    /** Why the registration at start-up failed, or null. */
    public static Throwable startupFailure() {
        return startupFailure;
    }

    /** A name no other action uses (ND4J keeps the first action per name). */
    @Override
    public String targetVariable() {
        return "XENT4J_SAMEDIFF_OPS";
    }

    /** Nothing: the constructor did the work. */
    @Override
    public void process(String value) {
    }
}
