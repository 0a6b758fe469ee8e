package io.github.xent4j.examples.scaleout;

import io.github.xent4j.examples.mnist.MnistNetworks;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A training listener that records, at every iteration, which model trained, on which thread,
 * with which loss function instance, and its score. It is the way to see the models DL4J trains
 * on its workers (ParallelWrapper's replicas, Spark's executor-side networks), which are built
 * from the configuration inside the framework and discarded after training.
 *
 * <p>Observations go to a static registry under the probe's key, so they survive the probe being
 * serialized to a Spark executor of the same JVM ({@code local[n]}).
 */
final class LossProbe extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Map<String, Queue<Observation>> SEEN = new ConcurrentHashMap<>();

    /**
     * One iteration of one model.
     *
     * @param modelId {@code System.identityHashCode} of the model that trained
     * @param model   the model itself (in ParallelWrapper; its arrays may be closed after training)
     */
    record Observation(int modelId, Model model, String thread, ILossFunction loss, double score) {
    }

    private final String key;

    LossProbe(String key) {
        this.key = key;
        SEEN.put(key, new ConcurrentLinkedQueue<>());
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        ILossFunction loss = model instanceof MultiLayerNetwork net ? MnistNetworks.outputLoss(net) : null;
        SEEN.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>())
                .add(new Observation(System.identityHashCode(model), model, Thread.currentThread().getName(), loss,
                        model.score()));
    }

    /** Every observation so far. */
    List<Observation> observations() {
        return new ArrayList<>(SEEN.getOrDefault(key, new ConcurrentLinkedQueue<>()));
    }

    /** The observations grouped by model, in order of first appearance. */
    Map<Integer, List<Observation>> byModel() {
        Map<Integer, List<Observation>> m = new LinkedHashMap<>();
        for (Observation o : observations()) {
            m.computeIfAbsent(o.modelId(), k -> new ArrayList<>()).add(o);
        }
        return m;
    }

    /** Forgets this probe's observations. */
    void clear() {
        SEEN.remove(key);
    }
}
