package io.github.xent4j.examples.mnist;

import io.github.xent4j.examples.data.ImageDataset;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The distillation graph computes exactly Hinton's two-term objective, and the teacher logits
 * are the true pre-softmax activations.
 */
class DistillationObjectiveTest {

    private static TrainConfig config(double t, double alpha) {
        return new TrainConfig(TrainConfig.ModelKind.STUDENT, TrainConfig.LossKind.XENT4J, "dl4j", ImageDataset.MNIST, 1,
                8, 0.001, 0.8, 5, 0, 1, 6, 0, 0, new TrainConfig.Distillation("teacher.zip", t, alpha));
    }

    /** Mean over rows of {@code -sum_k y_k log softmax(z / t)_k}, in float64. */
    private static double crossEntropy(INDArray y, INDArray z, double t) {
        INDArray u = z.castTo(DataType.DOUBLE).div(t);
        INDArray max = u.max(1).reshape(u.rows(), 1);
        INDArray shifted = u.subColumnVector(max);
        INDArray lse = Transforms.log(Transforms.exp(shifted).sum(1)).reshape(u.rows(), 1);
        INDArray logp = shifted.subColumnVector(lse);
        return -y.castTo(DataType.DOUBLE).mul(logp).sumNumber().doubleValue() / y.rows();
    }

    @Test
    void graphScoreIsAlphaTSquaredSoftPlusOneMinusAlphaHard() {
        double t = 4;
        double alpha = 0.9;
        ComputationGraph graph = MnistNetworks.distillationGraph(config(t, alpha));
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, MnistNetworks.PIXELS);
        INDArray teacherLogits = Nd4j.randn(DataType.FLOAT, 8, MnistNetworks.CLASSES).muli(5);
        INDArray q = Nd4j.nn().softmax(teacherLogits.div(t), 1);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, MnistNetworks.CLASSES);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % MnistNetworks.CLASSES, 1);
        }
        // The student's logits: the output of the "soft" head (identity activation).
        INDArray z = graph.output(false, x)[1];

        graph.setInputs(x);
        graph.setLabels(y.mul(1 - alpha), q.mul(alpha));
        graph.computeGradientAndScore();
        double expected = alpha * t * t * crossEntropy(q, z, t) + (1 - alpha) * crossEntropy(y, z, 1);
        assertEquals(expected, graph.score(), 1e-5 * expected);

        // The labels the distill command builds are [alpha * q, (1 - alpha) * y], split by the model.
        Dl4jEngine.Graph model = new Dl4jEngine.Graph(graph);
        double scoreBeforeStep = model.fit(x, Nd4j.hstack(q.mul(alpha), y.mul(1 - alpha)));
        assertEquals(expected, scoreBeforeStep, 1e-5 * expected);
    }

    @Test
    void teacherLogitsAreThePreSoftmaxActivations() {
        MultiLayerNetwork net = MnistNetworks.network(new TrainConfig(TrainConfig.ModelKind.LENET,
                TrainConfig.LossKind.XENT4J, "dl4j", ImageDataset.MNIST, 1, 8, 0.001, 0.8, 5, 0, 1, 0, 0, 0, null));
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, MnistNetworks.PIXELS);
        INDArray logits = MnistNetworks.logits(net, x);
        INDArray probabilities = net.output(x);
        assertEquals(0, Nd4j.nn().softmax(logits, 1).sub(probabilities).amaxNumber().doubleValue(), 1e-6);
    }
}
