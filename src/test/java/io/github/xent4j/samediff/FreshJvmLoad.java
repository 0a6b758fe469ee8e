package io.github.xent4j.samediff;

import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.io.File;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Run in a fresh JVM by {@link SameDiffSerializationTest}: loads a graph saved with xent4j ops
 * without calling anything of xent4j first, computes outputs and gradients and writes them next
 * to the graph. Prints {@code KEY=value} lines for the test.
 *
 * <p>Arguments: the saved graph, the output directory, then the mode:
 * <ul>
 *   <li>"auto": ND4J first ({@code Nd4j.zeros}), then {@code SameDiff.load} (registration when
 *       SameDiff initialises);</li>
 *   <li>"loadfirst": {@code SameDiff.load} is the program's first ND4J call (registration when
 *       SameDiff code starts ND4J);</li>
 *   <li>"optout": started with {@code -Dxent4j.samediff.autoRegister=false}: the load must fail
 *       until {@link XentSameDiff#register()} is called;</li>
 *   <li>"dl4j": trains a DL4J network with the loss and never touches SameDiff (the graph is not
 *       read).</li>
 * </ul>
 * {@link XentOpsRegistration} holds only static flags; reading them touches no op class.
 */
public final class FreshJvmLoad {
    private FreshJvmLoad() {
    }

    public static void main(String[] args) throws Exception {
        File graph = new File(args[0]);
        File outDir = new File(args[1]);
        String mode = args[2];
        if ("dl4j".equals(mode)) {
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                    .updater(new Adam(1e-2)).list()
                    .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy()).nIn(8).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .build());
            net.init();
            net.fit(Nd4j.rand(16, 4), Nd4j.rand(16, 3));
            System.out.println("SCORE=" + net.score());
            System.out.println("REGISTERED=" + XentOpsRegistration.isRegistered());
            System.out.println("DONE=true");
            return;
        }
        if (!"loadfirst".equals(mode)) {
            Nd4j.zeros(1);                                             // ND4J start-up (runs the services)
            System.out.println("REGISTERED_AFTER_ND4J=" + XentOpsRegistration.isRegistered());
        }
        if ("optout".equals(mode)) {
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
        System.out.println("REGISTERED_AUTOMATICALLY=" + XentOpsRegistration.registeredAtStartup());
        System.out.println("STARTUP_FAILURE=" + XentOpsRegistration.startupFailure());
        System.out.println("OP_CLASS=" + sd.getVariableOutputOp("loss").getClass().getName());
        System.out.println("INFERENCE_FACTORY=" + SameDiff.getInferenceFactory().getClass().getName());
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
