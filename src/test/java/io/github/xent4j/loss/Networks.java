package io.github.xent4j.loss;

import io.github.xent4j.XentOptions;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/** Small networks ending in {@link LossSoftmaxCrossEntropy}, one per kind of DL4J loss layer. */
final class Networks {
    private Networks() {
    }

    static NeuralNetConfiguration.Builder base(DataType type, IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(type).updater(updater)
                .weightInit(new UniformDistribution(-1.5, 1.5));
    }

    static MultiLayerNetwork mlp(DataType type, IUpdater updater, XentOptions o, Activation out, int nIn, int k) {
        MultiLayerConfiguration conf = base(type, updater, 12345).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(6).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(new LossSoftmaxCrossEntropy(o)).nIn(6).nOut(k).activation(out).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static MultiLayerNetwork rnn(DataType type, IUpdater updater, XentOptions o, int nIn, int k) {
        MultiLayerConfiguration conf = base(type, updater, 12345).list()
                .layer(new LSTM.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(new LossSoftmaxCrossEntropy(o)).nIn(5).nOut(k)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static MultiLayerNetwork cnn(DataType type, IUpdater updater, XentOptions o, int channels, int k, int h, int w) {
        MultiLayerConfiguration conf = base(type, updater, 12345).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.TANH).build())
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(k).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build())
                .layer(new CnnLossLayer.Builder(new LossSoftmaxCrossEntropy(o)).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(h, w, channels))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static MultiLayerNetwork lossLayer(DataType type, IUpdater updater, XentOptions o, int nIn, int k) {
        MultiLayerConfiguration conf = base(type, updater, 12345).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(k).activation(Activation.IDENTITY)
                        .weightInit(WeightInit.XAVIER).build())
                .layer(new LossLayer.Builder(new LossSoftmaxCrossEntropy(o)).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
