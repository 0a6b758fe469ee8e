package io.github.xent4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings every benchmark of the run shares (JMH inherits them): SampleTime medians in
 * microseconds, one fork, 4 x 0.75 s of warm-up and 5 x 0.5 s of measurement ({@link RunBenchmarks}
 * may override the iterations), and forks that can load the Vector API kernel. The thread count
 * of a cell is {@link #threads}; the fork's {@code OMP_NUM_THREADS} must match it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 750, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=12g", "--add-modules", "jdk.incubator.vector"})
public abstract class BenchmarkDefaults {

    @Param({"1"})
    public int threads;
}
