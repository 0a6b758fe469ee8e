package io.github.xent4j.samediff;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.context.Nd4jContext;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.env.EnvironmentalAction;

/**
 * Makes the xent4j ops known to SameDiff by name, automatically, when SameDiff is used.
 *
 * <p>SameDiff copies every op through FlatBuffers when it creates gradients
 * ({@code createGradFunction}, {@code calculateGradients}, {@code fit}) and when it loads a saved
 * graph. A copy stores only the op's name; the class is found again by looking the name up in
 * {@code ImportClassMapping.getOpNameMapping()}, which ND4J 1.0.0-M2.1 fills with its own ops
 * only. {@link #register()} adds ours. It must run before any of that, including in a JVM that
 * only loads a saved graph and has not touched an xent4j class yet, and it must not run in a
 * program that never uses SameDiff: initialising {@code ImportClassMapping} instantiates every
 * ND4J op and logs two "Duplicate TF op mapping" warnings of ND4J's (measured cost:
 * {@code src/site/markdown/samediff.md}).
 *
 * <p>ND4J offers no hook for "SameDiff is about to resolve an op", so this class uses the two
 * moments at which SameDiff use can be recognised:
 * <ol>
 *   <li>It is listed in {@code META-INF/services/org.nd4j.linalg.env.EnvironmentalAction}, so
 *       ND4J instantiates it while it initialises ({@code Nd4j.initWithBackend}). If that
 *       initialisation was started by SameDiff code ({@code SameDiff.load} or
 *       {@code SameDiff.create} as a program's first ND4J call; a stack frame in
 *       {@code org.nd4j.autodiff}), the constructor registers.</li>
 *   <li>Otherwise SameDiff is not initialised yet, and the constructor sets ND4J's
 *       {@code inferencefactory.class} setting ({@code Nd4jContext}), which SameDiff's class
 *       initialiser reads, to {@link RegisteringInferenceFactory}: that factory registers when
 *       SameDiff first initialises, and creates the same sessions as SameDiff's default. A
 *       factory the user configured is left alone (then the ops register at once).</li>
 * </ol>
 * A DL4J-only program therefore pays a stack walk and a property lookup, and prints nothing.
 * {@link XentSameDiff} also registers from its static initializer. With
 * {@code -Dxent4j.samediff.autoRegister=false} nothing is done automatically; then call
 * {@link XentSameDiff#register()} before {@code SameDiff.load} of a graph that contains xent4j
 * ops (building a graph with {@link XentSameDiff} registers by itself).
 *
 * <p>Fat jars must merge service files (maven-shade-plugin's
 * {@code ServicesResourceTransformer}), as ND4J's own backend discovery requires anyway.
 */
public final class XentOpsRegistration implements EnvironmentalAction {
    /** System property that turns the automatic registration off ({@code false}). */
    public static final String AUTO_REGISTER_PROPERTY = "xent4j.samediff.autoRegister";

    /** Names of all xent4j ops, as stored in saved graphs. */
    public static final List<String> OP_NAMES = Collections.unmodifiableList(Arrays.asList(
            SoftmaxCrossEntropyOp.OP_NAME, SoftmaxCrossEntropyBpOp.OP_NAME,
            LogSoftmaxOp.OP_NAME, LogSoftmaxBpOp.OP_NAME,
            LogSumExpOp.OP_NAME, LogSumExpBpOp.OP_NAME));

    /** ND4J's setting ({@code SameDiff.INFERENCE_FACTORY_CLASS}, a constant: reading it initialises nothing). */
    static final String INFERENCE_FACTORY_SETTING = SameDiff.INFERENCE_FACTORY_CLASS;

    private static volatile boolean registered;
    private static volatile boolean registeredAutomatically;
    private static volatile IllegalStateException startupFailure;

    /**
     * Called by ND4J's service loader during {@code Nd4j} initialisation: registers the ops if
     * SameDiff code started ND4J, otherwise arranges for SameDiff's initialisation to register
     * them (see the class comment); nothing with {@code -Dxent4j.samediff.autoRegister=false}.
     * Never throws (a failure must not break ND4J for programs that do not use SameDiff); the
     * failure is kept for {@link #startupFailure()}, and {@link XentSameDiff#register()} retries
     * and throws it.
     */
    public XentOpsRegistration() {
        if (!autoRegister()) {
            return;
        }
        if (startedBySameDiff() || !deferToSameDiffInitialisation()) {
            registerAutomatically();
        }
    }

    static boolean autoRegister() {
        return !"false".equalsIgnoreCase(System.getProperty(AUTO_REGISTER_PROPERTY, "true").trim());
    }

    /** Whether SameDiff (or another {@code org.nd4j.autodiff} class) is on the calling stack. */
    private static boolean startedBySameDiff() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(
                f -> f.getClassName().startsWith("org.nd4j.autodiff.")));
    }

    /**
     * Points ND4J's {@code inferencefactory.class} setting at {@link RegisteringInferenceFactory}.
     *
     * @return false if the setting names another factory (the user's), or if ND4J's class loader
     *         would not find this one (then SameDiff's initialiser would fail)
     */
    private static boolean deferToSameDiffInitialisation() {
        Properties conf = Nd4jContext.getInstance().getConf();
        synchronized (conf) {
            String current = conf.getProperty(INFERENCE_FACTORY_SETTING, "").trim();
            if (current.equals(RegisteringInferenceFactory.class.getName())) {
                return true;
            }
            if (!current.isEmpty() || !visibleToNd4j(RegisteringInferenceFactory.class)) {
                return false;
            }
            conf.setProperty(INFERENCE_FACTORY_SETTING, RegisteringInferenceFactory.class.getName());
            return true;
        }
    }

    private static boolean visibleToNd4j(Class<?> c) {
        try {
            return Class.forName(c.getName(), false, ND4JClassLoading.getNd4jClassloader()) == c;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Registers for an automatic trigger; keeps a failure instead of throwing it. */
    static void registerAutomatically() {
        try {
            register();
            registeredAutomatically = true;
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

    /**
     * Whether the ops were registered automatically (ND4J started by SameDiff code, or SameDiff's
     * initialisation), rather than by {@link XentSameDiff}.
     */
    public static boolean registeredAtStartup() {
        return registeredAutomatically;
    }

    /** Why an automatic registration failed, or null. */
    public static Throwable startupFailure() {
        return startupFailure;
    }

    /** A name no other action uses (ND4J keeps the first action per name). */
    @Override
    public String targetVariable() {
        return "XENT4J_SAMEDIFF_OPS";
    }

    /** Nothing: the constructor does the work. */
    @Override
    public void process(String value) {
    }
}
