package io.github.xent4j;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Immutable options of the softmax cross-entropy, shared by the DL4J loss function
 * ({@link io.github.xent4j.loss.LossSoftmaxCrossEntropy}) and the SameDiff op
 * ({@link io.github.xent4j.samediff.XentSameDiff}).
 *
 * <p>With logits {@code z} of one example ({@code K} classes) and soft labels {@code y}, the
 * options enter the loss as
 * <pre>{@code
 * y'_k = (1 - labelSmoothing) * y_k + labelSmoothing / K
 * u_k  = z_k / temperature
 * loss = temperature^2 * sum_k( -classWeights_k * y'_k * log softmax(u)_k ) + zLoss * logsumexp(u)^2
 * }</pre>
 * See {@link XentKernel} for the full definition, the gradient and the numerical behaviour.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>range</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code classWeights}</td><td>length K, every entry finite and &gt; 0</td><td>all 1</td>
 *       <td>per-class weight {@code w_k}, as PyTorch's {@code weight}; the length is checked against
 *       the logits when the loss runs</td></tr>
 *   <tr><td>{@code labelSmoothing}</td><td>[0, 1)</td><td>0</td>
 *       <td>mixes the labels with the uniform distribution (Szegedy et al. 2016,
 *       arXiv:1512.00567), exactly as PyTorch's {@code label_smoothing}</td></tr>
 *   <tr><td>{@code temperature}</td><td>(0, inf)</td><td>1</td>
 *       <td>divides the logits; the loss is multiplied by {@code t^2} so that gradients keep
 *       their size (Hinton et al. 2015, arXiv:1503.02531)</td></tr>
 *   <tr><td>{@code zLoss}</td><td>[0, inf)</td><td>0</td>
 *       <td>weight of the {@code logsumexp(u)^2} penalty that keeps logits from drifting
 *       (PaLM, arXiv:2204.02311)</td></tr>
 *   <tr><td>{@code ignoreIndex}</td><td>any int</td><td>-1</td>
 *       <td>with class-index labels, rows whose id equals it contribute no loss and no
 *       gradient; ignored for soft labels</td></tr>
 * </table>
 *
 * <p>Instances are values: {@code equals}, {@code hashCode} and {@code toString} cover every
 * option, the class-weight array is copied in and out, and the JSON form (DL4J's shaded
 * Jackson) round-trips exactly.
 *
 * <pre>{@code
 * XentOptions distill = XentOptions.builder().temperature(4).labelSmoothing(0.1).build();
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class XentOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final XentOptions DEFAULTS = new Builder().build();

    private final double[] classWeights;   // null means all 1
    private final double labelSmoothing;
    private final double temperature;
    private final double zLoss;
    private final int ignoreIndex;

    // A cache derived from classWeights: read-only INDArray copies per data type, made outside
    // any workspace (a DL4J workspace would invalidate an array kept across calls) and never
    // written to, so sharing them between threads and networks is safe. It is rebuilt on demand,
    // so an instance that arrives without it is correct: serializers that bypass constructors
    // and readResolve (Kryo, which Spark uses for broadcasts when configured as DL4J recommends)
    // set only the non-transient fields. Nothing else may be derived state.
    private transient volatile ConcurrentHashMap<DataType, INDArray> classWeightArrays;

    @JsonCreator
    private XentOptions(@JsonProperty("classWeights") double[] classWeights,
                        @JsonProperty("labelSmoothing") Double labelSmoothing,
                        @JsonProperty("temperature") Double temperature,
                        @JsonProperty("zLoss") Double zLoss,
                        @JsonProperty("ignoreIndex") Integer ignoreIndex) {
        // Absent JSON properties fall back to the defaults, so configs written by an older
        // version that lacked an option still load.
        this(new Builder()
                .classWeights(classWeights)
                .labelSmoothing(labelSmoothing == null ? 0.0 : labelSmoothing)
                .temperature(temperature == null ? 1.0 : temperature)
                .zLoss(zLoss == null ? 0.0 : zLoss)
                .ignoreIndex(ignoreIndex == null ? -1 : ignoreIndex));
    }

    private XentOptions(Builder b) {
        if (b.classWeights != null) {
            if (b.classWeights.length == 0) {
                throw new IllegalArgumentException("classWeights must have one entry per class (length K >= 1), got length 0");
            }
            for (int k = 0; k < b.classWeights.length; k++) {
                double w = b.classWeights[k];
                if (!(w > 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException(
                            "classWeights must be finite and > 0, got classWeights[" + k + "] = " + w);
                }
            }
        }
        if (!(b.labelSmoothing >= 0 && b.labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + b.labelSmoothing);
        }
        if (!(b.temperature > 0) || Double.isInfinite(b.temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + b.temperature);
        }
        if (!(b.zLoss >= 0) || Double.isInfinite(b.zLoss)) {
            throw new IllegalArgumentException("zLoss must be finite and >= 0, got " + b.zLoss);
        }
        this.classWeights = b.classWeights == null ? null : b.classWeights.clone();
        this.labelSmoothing = b.labelSmoothing;
        this.temperature = b.temperature;
        this.zLoss = b.zLoss;
        this.ignoreIndex = b.ignoreIndex;
    }

    /** The defaults: no class weights, no smoothing, temperature 1, no z-loss, ignoreIndex -1. */
    public static XentOptions defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options, to derive a variant. */
    public Builder toBuilder() {
        return new Builder()
                .classWeights(classWeights)
                .labelSmoothing(labelSmoothing)
                .temperature(temperature)
                .zLoss(zLoss)
                .ignoreIndex(ignoreIndex);
    }

    /** A copy of the class weights, or {@code null} when every class has weight 1. */
    @JsonProperty("classWeights")
    public double[] classWeights() {
        return classWeights == null ? null : classWeights.clone();
    }

    /** Whether class weights were set. */
    @JsonIgnore
    public boolean hasClassWeights() {
        return classWeights != null;
    }

    /** Weight of class {@code k} (1 when no class weights were set). */
    public double classWeight(int k) {
        return classWeights == null ? 1.0 : classWeights[k];
    }

    /** Number of class weights, or -1 when none were set. */
    @JsonIgnore
    public int classWeightCount() {
        return classWeights == null ? -1 : classWeights.length;
    }

    /** Mean of the class weights (1 when none were set); computed per call, K additions. */
    double classWeightMean() {
        return classWeights == null ? 1.0 : Arrays.stream(classWeights).sum() / classWeights.length;
    }

    /** The class weights as a read-only {@code [K]} array of the given type; null when none were set. */
    INDArray classWeightArray(DataType type) {
        if (classWeights == null) {
            return null;
        }
        ConcurrentHashMap<DataType, INDArray> cache = classWeightArrays;
        if (cache == null) {
            synchronized (this) {
                if (classWeightArrays == null) {
                    classWeightArrays = new ConcurrentHashMap<>();
                }
                cache = classWeightArrays;
            }
        }
        return cache.computeIfAbsent(type, t -> {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Nd4j.createFromArray(classWeights).castTo(t);
            }
        });
    }

    @JsonProperty("labelSmoothing")
    public double labelSmoothing() {
        return labelSmoothing;
    }

    @JsonProperty("temperature")
    public double temperature() {
        return temperature;
    }

    @JsonProperty("zLoss")
    public double zLoss() {
        return zLoss;
    }

    @JsonProperty("ignoreIndex")
    public int ignoreIndex() {
        return ignoreIndex;
    }

    /** True when the options are the defaults, i.e. plain softmax cross-entropy. */
    @JsonIgnore
    public boolean isPlain() {
        return classWeights == null && labelSmoothing == 0 && temperature == 1 && zLoss == 0;
    }

    /** Java deserialization: rebuild through the builder, which validates and derives. */
    private Object readResolve() {
        return toBuilder().build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof XentOptions)) {
            return false;
        }
        XentOptions that = (XentOptions) o;
        return Double.compare(labelSmoothing, that.labelSmoothing) == 0
                && Double.compare(temperature, that.temperature) == 0
                && Double.compare(zLoss, that.zLoss) == 0
                && ignoreIndex == that.ignoreIndex
                && Arrays.equals(classWeights, that.classWeights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labelSmoothing, temperature, zLoss, ignoreIndex) * 31 + Arrays.hashCode(classWeights);
    }

    @Override
    public String toString() {
        return "XentOptions(classWeights=" + (classWeights == null ? "none" : Arrays.toString(classWeights))
                + ", labelSmoothing=" + labelSmoothing
                + ", temperature=" + temperature
                + ", zLoss=" + zLoss
                + ", ignoreIndex=" + ignoreIndex + ")";
    }

    /** Builder for {@link XentOptions}; {@link #build()} validates every option. */
    public static final class Builder {
        private double[] classWeights;
        private double labelSmoothing = 0.0;
        private double temperature = 1.0;
        private double zLoss = 0.0;
        private int ignoreIndex = -1;

        private Builder() {
        }

        /**
         * Per-class weights {@code w_k}.
         *
         * @param w length K (the number of classes), every entry finite and &gt; 0; {@code null}
         *          (the default) weighs every class 1
         * @return this builder
         */
        public Builder classWeights(double[] w) {
            this.classWeights = w == null ? null : w.clone();
            return this;
        }

        /**
         * Label smoothing {@code eps}: labels become {@code (1 - eps) * y + eps / K}.
         *
         * @param eps in [0, 1); default 0
         * @return this builder
         */
        public Builder labelSmoothing(double eps) {
            this.labelSmoothing = eps;
            return this;
        }

        /**
         * Softmax temperature {@code t}: logits are divided by it and the loss is multiplied by
         * {@code t^2}.
         *
         * @param t finite and &gt; 0; default 1
         * @return this builder
         */
        public Builder temperature(double t) {
            this.temperature = t;
            return this;
        }

        /**
         * Weight {@code lambda} of the z-loss term {@code lambda * logsumexp(z / t)^2}.
         *
         * @param lambda finite and &gt;= 0; default 0
         * @return this builder
         */
        public Builder zLoss(double lambda) {
            this.zLoss = lambda;
            return this;
        }

        /**
         * Class id whose rows are ignored, for class-index labels only.
         *
         * @param idx any int; default -1
         * @return this builder
         */
        public Builder ignoreIndex(int idx) {
            this.ignoreIndex = idx;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the options
         * @throws IllegalArgumentException if an option is out of range, NaN or infinite; the
         *                                  message names the option, its range and the value
         */
        public XentOptions build() {
            return new XentOptions(this);
        }
    }
}
