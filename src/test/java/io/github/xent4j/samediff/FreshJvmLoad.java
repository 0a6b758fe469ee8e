package io.github.xent4j.samediff;

import java.io.File;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a fresh JVM by {@link SameDiffSerializationTest}: loads a graph saved with xent4j ops
 * without calling anything of xent4j first, computes outputs and gradients and writes them next
 * to the graph. Prints {@code KEY=value} lines for the test.
 *
 * <p>Arguments: the saved graph, the output directory, then "auto" (rely on the start-up
 * registration) or "optout" (started with {@code -Dxent4j.samediff.autoRegister=false}: the
 * load must fail until {@link XentSameDiff#register()} is called).
 */
public final class FreshJvmLoad {
    private FreshJvmLoad() {
    }

    public static void main(String[] args) throws Exception {
        File graph = new File(args[0]);
        File outDir = new File(args[1]);
        boolean optOut = "optout".equals(args[2]);
        Nd4j.zeros(1);                                             // ND4J start-up (runs the services)
        // XentOpsRegistration holds only static flags; reading them touches no op class.
        System.out.println("REGISTERED_AT_STARTUP=" + XentOpsRegistration.registeredAtStartup());
        System.out.println("STARTUP_FAILURE=" + XentOpsRegistration.startupFailure());
        if (optOut) {
            try {
                SameDiff.load(graph, true);
                System.out.println("OPTOUT_LOAD=succeeded");
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                System.out.println("OPTOUT_LOAD=failed: " + root);
            }
            XentSameDiff.register();
        }
        SameDiff sd = SameDiff.load(graph, true);
        System.out.println("OP_CLASS=" + sd.getVariableOutputOp("loss").getClass().getName());
        OutAndGrad og = sd.calculateGradientsAndOutputs(Collections.emptyMap(), List.of("loss", "ls", "lse"),
                List.of("z", "y"));
        for (Map.Entry<String, INDArray> e : og.getOutputs().entrySet()) {
            Nd4j.saveBinary(e.getValue(), new File(outDir, "out_" + e.getKey() + ".bin"));
        }
        for (Map.Entry<String, INDArray> e : og.getGradients().entrySet()) {
            Nd4j.saveBinary(e.getValue(), new File(outDir, "grad_" + e.getKey() + ".bin"));
        }
        System.out.println("DONE=true");
    }
}
