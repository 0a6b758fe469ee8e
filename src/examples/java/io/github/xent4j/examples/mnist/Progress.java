package io.github.xent4j.examples.mnist;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The per-epoch progress display on standard error: examples done, live loss (an exponential
 * moving average of the minibatch losses) and examples per second.
 *
 * <ul>
 *   <li>{@link Mode#BAR}: a bar redrawn in place four times a second, for terminals.</li>
 *   <li>{@link Mode#LINES}: a plain ASCII line every 10 seconds and at the end of each epoch,
 *       for CI logs and files (no carriage returns or escape codes).</li>
 *   <li>{@link Mode#AUTO}: BAR when the JVM has a console, else LINES.</li>
 *   <li>{@link Mode#NONE}: nothing.</li>
 * </ul>
 */
final class Progress implements AutoCloseable {

    /** How to show progress; see the class comment. */
    enum Mode { AUTO, BAR, LINES, NONE }

    private static final double EMA = 0.05;
    private final ProgressBar bar;
    private double loss = Double.NaN;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(Mode mode, String task, long totalExamples, PrintStream err) {
        Mode m = mode == Mode.AUTO ? (System.console() != null ? Mode.BAR : Mode.LINES) : mode;
        if (m == Mode.NONE) {
            return new Progress(null);
        }
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(totalExamples)
                .setUnit(" ex", 1)
                .showSpeed(new DecimalFormat("#,##0"))
                .setSpeedUnit(ChronoUnit.SECONDS);
        if (m == Mode.BAR) {
            b.setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(err, 110));
        } else {
            b.setUpdateIntervalMillis(10_000).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new DelegatingProgressBarConsumer(line -> {
                        err.println(line.strip());
                        err.flush();
                    }, 110));
        }
        return new Progress(b.build());
    }

    /** Records a minibatch of {@code examples} examples with loss {@code batchLoss}. */
    void step(long examples, double batchLoss) {
        loss = Double.isNaN(loss) ? batchLoss : (1 - EMA) * loss + EMA * batchLoss;
        if (bar != null) {
            bar.stepBy(examples);
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", loss));
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
