package io.github.xent4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.xent4j.TestArrays;
import io.github.xent4j.XentKernel;
import io.github.xent4j.XentOptions;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.serde.FlatBuffersMapper;
import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOpDescriptor;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.env.EnvironmentalAction;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Guards the ND4J 1.0.0-M2.1 internals the SameDiff ops rely on (see {@link JavaKernelOp} and
 * {@link XentOpsRegistration}). If one of these fails after an ND4J upgrade, the message says
 * what changed; the ops must then be reworked for that version.
 */
class MechanismGuardTest {
    static final Map<String, Class<?>> OPS = Map.of(
            SoftmaxCrossEntropyOp.OP_NAME, SoftmaxCrossEntropyOp.class,
            SoftmaxCrossEntropyBpOp.OP_NAME, SoftmaxCrossEntropyBpOp.class,
            LogSoftmaxOp.OP_NAME, LogSoftmaxOp.class,
            LogSoftmaxBpOp.OP_NAME, LogSoftmaxBpOp.class,
            LogSumExpOp.OP_NAME, LogSumExpOp.class,
            LogSumExpBpOp.OP_NAME, LogSumExpBpOp.class);

    @Test
    void opNamesAreUnknownToLibnd4j() {
        assertEquals(OPS.keySet(), Set.copyOf(XentOpsRegistration.OP_NAMES));
        for (String name : OPS.keySet()) {
            assertEquals(0L, FlatBuffersMapper.getOpNum(name, Op.Type.CUSTOM),
                    "ND4J changed: FlatBuffersMapper.getOpNum(\"" + name + "\", CUSTOM) is no longer 0 for a name libnd4j "
                            + "does not know, so saved graphs and gradient copies may resolve the op by hash, not by name");
        }
    }

    @Test
    void opClassesAreResolvedByName() {
        XentSameDiff.register();
        for (Map.Entry<String, Class<?>> e : OPS.entrySet()) {
            assertSame(e.getValue(), ImportClassMapping.getOpNameMapping().get(e.getKey()).getClass(),
                    "ImportClassMapping.getOpNameMapping() does not hold " + e.getKey());
            Class<?> c;
            try {
                c = DifferentialFunctionClassHolder.getInstance().customOpClassForHashAndName(0, e.getKey());
            } catch (RuntimeException ex) {
                throw new AssertionError("ND4J changed: DifferentialFunctionClassHolder.customOpClassForHashAndName(0, \""
                        + e.getKey() + "\") no longer falls back to ImportClassMapping.getOpNameMapping()", ex);
            }
            assertSame(e.getValue(), c, "ND4J changed: customOpClassForHashAndName(0, name) resolves " + e.getKey()
                    + " to " + c + ", not through ImportClassMapping.getOpNameMapping()");
        }
    }

    @Test
    void borrowedIdentityOpExists() {
        CustomOpDescriptor id = Nd4j.getExecutioner().getCustomOperations().get(JavaKernelOp.BORROWED_NATIVE_OP);
        assertNotNull(id, "ND4J changed: libnd4j has no 'identity' op to borrow");
        assertEquals(1, id.getNumInputs(), "ND4J changed: libnd4j 'identity' no longer takes 1 input");
        assertEquals(1, id.getNumOutputs(), "ND4J changed: libnd4j 'identity' no longer has 1 output");
    }

    @Test
    void serviceFileIsPresentAndNd4jInstantiatesIt() throws Exception {
        Enumeration<URL> files = getClass().getClassLoader()
                .getResources("META-INF/services/" + EnvironmentalAction.class.getName());
        boolean listed = false;
        while (files.hasMoreElements()) {
            try (InputStream in = files.nextElement().openStream()) {
                listed |= new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(XentOpsRegistration.class.getName());
            }
        }
        assertTrue(listed, "META-INF/services/org.nd4j.linalg.env.EnvironmentalAction does not list XentOpsRegistration");
        boolean loaded = false;
        for (EnvironmentalAction a : ServiceLoader.load(EnvironmentalAction.class)) {
            loaded |= a instanceof XentOpsRegistration;
        }
        assertTrue(loaded, "ServiceLoader does not find XentOpsRegistration");
        Nd4j.zeros(1);
        assertNull(XentOpsRegistration.startupFailure(), "an automatic registration failed");
        // That ND4J's start-up runs it, and when it registers: AutomaticRegistrationTest and
        // SameDiffSerializationTest, in fresh JVMs.
    }

    @Test
    void sameDiffReadsItsInferenceFactoryFromTheSettingXent4jSets() throws Exception {
        assertEquals(XentOpsRegistration.INFERENCE_FACTORY_SETTING, SameDiff.class.getField("INFERENCE_FACTORY_CLASS").get(null),
                "ND4J changed: SameDiff's class initialiser reads its inference factory from another setting");
        SameDiff sd = SameDiff.create();
        assertSame(new SameDiff.DefaultInferenceFactory().create(sd).getClass(),
                new RegisteringInferenceFactory().create(sd).getClass(),
                "ND4J changed: SameDiff's default inference factory creates another session class");
    }

    @Test
    void opClassesSurviveGradientCreationAndTheKernelRuns() {
        Random rnd = new Random(51);
        INDArray zz = TestArrays.array(TestArrays.normal(rnd, 3, 4, 2), DataType.DOUBLE);
        INDArray yy = TestArrays.array(TestArrays.softLabels(rnd, 3, 4, 1), DataType.DOUBLE);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", zz);
        SDVariable loss = XentSameDiff.softmaxCrossEntropy(sd, "loss", z, sd.constant("y", yy), null, LossReduce.NONE);
        loss.sum("total").markAsLoss();
        INDArray out = sd.output(Collections.emptyMap(), "loss").get("loss");
        assertArrayEquals(new long[]{3}, out.shape(), "ND4J changed: the op's output is not the kernel's result "
                + "(InferenceSession no longer calls calculateOutputShape(OpContext) before executing, or ignores its shape)");
        assertEquals(XentKernel.compute(zz, yy, null, XentOptions.defaults(), XentKernel.Output.LOSS).loss(), out,
                "ND4J changed: the op's output is not the kernel's result (native 'identity' no longer copies input 0)");
        INDArray g = sd.calculateGradients(Collections.emptyMap(), "z").get("z");
        assertEquals(XentKernel.compute(zz, yy, null, XentOptions.defaults(), XentKernel.Output.GRADIENT).gradient(), g);
        DifferentialFunction inGrad = sd.getFunction("grad").getVariableOutputOp("loss");
        assertNotNull(inGrad);
        assertSame(SoftmaxCrossEntropyOp.class, inGrad.getClass(), "ND4J changed: createGradFunction's FlatBuffers copy "
                + "replaced the op class (" + inGrad.getClass().getName() + "), as for ND4J issue #9670");
        boolean bp = false;
        for (DifferentialFunction f : sd.getFunction("grad").ops()) {
            bp |= f instanceof SoftmaxCrossEntropyBpOp;
        }
        assertTrue(bp, "the gradient function holds no SoftmaxCrossEntropyBpOp: doDiff was not used");
        // other ways of running a graph
        assertTrue(sd.summary().contains(SoftmaxCrossEntropyOp.OP_NAME));
        SameDiff copy = sd.dup();
        assertSame(SoftmaxCrossEntropyOp.class, copy.getVariableOutputOp("loss").getClass());
        assertEquals(out, copy.output(Collections.emptyMap(), "loss").get("loss"));
        assertEquals(out, sd.batchOutput().output("loss").outputSingle());
    }

    @Test
    void directExecutionOutsideSameDiffFailsLoudly() {
        LogSoftmaxOp op = new LogSoftmaxOp();
        op.addInputArgument(Nd4j.rand(DataType.FLOAT, 2, 3));
        op.addIArgument(1);
        assertFailsLoudly(op);                                             // outputs from the shape function
        op.addOutputArgument(Nd4j.create(DataType.FLOAT, 2, 3));
        assertFailsLoudly(op);                                             // preallocated outputs
    }

    private static void assertFailsLoudly(LogSoftmaxOp op) {
        try {
            INDArray[] r = Nd4j.exec(op);
            fail("Nd4j.exec of an xent4j op returned " + r[0] + " (a copy of its input) instead of failing");
        } catch (RuntimeException e) {
            Throwable c = e;
            while (c != null && !(c instanceof IllegalStateException && String.valueOf(c.getMessage()).contains("xent4j"))) {
                c = c.getCause();
            }
            assertNotNull(c, "expected our IllegalStateException as the cause, got " + e);
            assertTrue(c.getMessage().contains(LogSoftmaxOp.OP_NAME) && c.getMessage().contains("SameDiff")
                    && c.getMessage().contains("XentKernel"), c.getMessage());
        }
    }
}
