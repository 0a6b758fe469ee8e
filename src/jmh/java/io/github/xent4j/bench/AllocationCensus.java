package io.github.xent4j.bench;

import io.github.xent4j.loss.LossSoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Counts what one call allocates: the bytes it takes from a fresh workspace, in units of one
 * float32 {@code [N, K]} array. It sees every array the call creates through ND4J (results,
 * temporaries, {@code [N]} vectors); it does not see temporaries that a native op allocates and
 * frees inside libnd4j.
 */
public final class AllocationCensus {
    /** One shape: entry point to {@code [N, K]}-equivalents. */
    public static final class Row {
        public final String shape;
        public final Map<String, Double> arrays = new LinkedHashMap<>();

        Row(String shape) {
            this.shape = shape;
        }
    }

    private AllocationCensus() {
    }

    public static List<Row> run(String[] shapes) {
        List<Row> rows = new ArrayList<>();
        ActivationSoftmax softmax = new ActivationSoftmax();
        LossSoftmaxCrossEntropy xent = new LossSoftmaxCrossEntropy();
        LossMCXENT mcxent = new LossMCXENT();
        for (String shape : shapes) {
            String[] nk = shape.split("x");
            int n = Integer.parseInt(nk[0]);
            int k = Integer.parseInt(nk[1]);
            INDArray z = Nd4j.randn(DataType.FLOAT, n, k);
            INDArray y = XentBenchmark.labels("soft", n, k);
            Row row = new Row(shape);
            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            calls.put("xent computeScore", () -> xent.computeScore(y, z, softmax, null, false));
            calls.put("xent computeGradient", () -> xent.computeGradient(y, z, softmax, null));
            calls.put("xent computeGradientAndScore", () -> xent.computeGradientAndScore(y, z, softmax, null, false));
            calls.put("LossMCXENT computeGradientAndScore", () -> mcxent.computeGradientAndScore(y, z, softmax, null, false));
            for (Map.Entry<String, Supplier<Object>> call : calls.entrySet()) {
                call.getValue().get();     // warm up outside any workspace
                row.arrays.put(call.getKey(), measure(call.getValue(), (long) n * k * 4));
            }
            rows.add(row);
        }
        return rows;
    }

    static double measure(Supplier<Object> call, long arrayBytes) {
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder()
                .initialSize(32 * arrayBytes + (16L << 20))
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        String id = "XENT_CENSUS_" + System.nanoTime();
        long used;
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, id);
        try {
            call.get();
            used = ws.getPrimaryOffset();
        } finally {
            ws.close();
            Nd4j.getWorkspaceManager().destroyWorkspace(ws);
        }
        return (double) used / arrayBytes;
    }
}
