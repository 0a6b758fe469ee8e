package io.github.xent4j.samediff;

import io.github.xent4j.XentOptions;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes the saved-graph fixture that {@link SavedGraphCompatibilityTest} loads: a graph with
 * every xent4j op and every reduction, saved by {@code sd.save(file, true)}. The committed file
 * {@value #RESOURCE} was written by xent4j 0.1.0 with
 * <pre>{@code
 * mvn -q -B test-compile exec:java -Dexec.mainClass=io.github.xent4j.samediff.SavedGraphFixture \
 *     -Dexec.args=src/test/resources/samediff/graph-0.1.0.sd
 * }</pre>
 * Do not regenerate it when the op encoding changes: it stands for graphs that users saved
 * with that version, which must keep loading with the same meaning.
 *
 * <p>Inputs are small exact decimals, so the test can rebuild them without this class; it reads
 * them from the loaded graph all the same. Variables:
 * <ul>
 *   <li>{@code z}: float32 variable {@code [4, 5]}; {@code y}: float32 soft labels
 *       {@code [4, 5]}; {@code ids}: INT64 class ids {@code [4]}; {@code m}: float32
 *       per-example mask {@code [4, 1]};</li>
 *   <li>{@code none}: NONE with {@link #NONE_OPTIONS}; {@code sum}: SUM of the class ids with
 *       {@link #SUM_OPTIONS}; {@code meanW}: MEAN_BY_WEIGHT with the mask; {@code meanNz}:
 *       MEAN_BY_NONZERO_WEIGHT_COUNT with {@link #MEAN_NZ_OPTIONS};</li>
 *   <li>{@code ls}: log-softmax of {@code z} along 0; {@code lse}: log-sum-exp of {@code z}
 *       along -1 (dropped);</li>
 *   <li>{@code total = sum(none) + sum + meanW + meanNz}, the graph's only loss.</li>
 * </ul>
 */
public final class SavedGraphFixture {
    static final String RESOURCE = "/samediff/graph-0.1.0.sd";

    static final double[][] Z = {
            {0.5, -1.25, 2.0, 0.0, 0.75},
            {-3.0, 1.5, 0.25, 4.0, -0.5},
            {1.0, 1.0, -2.0, 0.5, 3.25},
            {-0.75, 2.5, 1.25, -1.5, 0.0}};
    static final double[][] Y = {
            {0.5, 0.25, 0.0, 0.25, 0.0},
            {0.0, 0.0, 1.0, 0.0, 0.0},
            {0.125, 0.125, 0.25, 0.25, 0.25},
            {0.75, 0.0, 0.0, 0.5, 0.0}};
    static final long[] IDS = {0, 3, 4, 1};
    static final double[][] MASK = {{1}, {0}, {0.5}, {2}};

    static final XentOptions NONE_OPTIONS = XentOptions.builder().classWeights(new double[]{1, 2.5, 0.5, 1, 3})
            .labelSmoothing(0.1).temperature(2).zLoss(0.01).build();
    static final XentOptions SUM_OPTIONS = XentOptions.builder().labelSmoothing(0.05).ignoreIndex(3).build();
    static final XentOptions MEAN_NZ_OPTIONS = XentOptions.builder().temperature(0.5).build();

    private SavedGraphFixture() {
    }

    static SameDiff graph() {
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", Nd4j.createFromArray(Z).castTo(DataType.FLOAT));
        SDVariable y = sd.constant("y", Nd4j.createFromArray(Y).castTo(DataType.FLOAT));
        SDVariable ids = sd.constant("ids", Nd4j.createFromArray(IDS));
        SDVariable m = sd.constant("m", Nd4j.createFromArray(MASK).castTo(DataType.FLOAT));
        SDVariable none = XentSameDiff.softmaxCrossEntropy(sd, "none", z, y, NONE_OPTIONS, LossReduce.NONE);
        SDVariable sum = XentSameDiff.softmaxCrossEntropy(sd, "sum", z, ids, SUM_OPTIONS, LossReduce.SUM);
        SDVariable meanW = XentSameDiff.softmaxCrossEntropy(sd, "meanW", z, y, m, null, LossReduce.MEAN_BY_WEIGHT);
        SDVariable meanNz = XentSameDiff.softmaxCrossEntropy(sd, "meanNz", z, y, MEAN_NZ_OPTIONS,
                LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        XentSameDiff.logSoftmax(sd, "ls", z, 0);
        XentSameDiff.logSumExp(sd, "lse", z, -1, false);
        SDVariable total = none.sum().add(sum).add(meanW).add("total", meanNz);
        sd.setLossVariables(total);
        return sd;
    }

    /** @param args the file to write */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SavedGraphFixture <output file>");
        }
        Path out = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(out.getParent());
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        graph().save(tmp.toFile(), true);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + out + " (" + new File(out.toString()).length() + " bytes)");
    }
}
