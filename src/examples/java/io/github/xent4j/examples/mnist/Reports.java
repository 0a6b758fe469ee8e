package io.github.xent4j.examples.mnist;

import org.nd4j.evaluation.classification.Evaluation;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Metrics JSON, the summary line and the evaluation report. */
final class Reports {

    private Reports() {
    }

    /** {@code [actual][predicted]} counts. */
    static int[][] confusion(Evaluation eval, int k) {
        int[][] m = new int[k][k];
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                m[a][p] = eval.getConfusionMatrix().getCount(a, p);
            }
        }
        return m;
    }

    static List<Map<String, Object>> perClass(Evaluation eval, List<String> names) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int[][] cm = confusion(eval, names.size());
        for (int c = 0; c < names.size(); c++) {
            int support = 0;
            for (int p = 0; p < names.size(); p++) {
                support += cm[c][p];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("class", names.get(c));
            row.put("precision", eval.precision(c));
            row.put("recall", eval.recall(c));
            row.put("f1", eval.f1(c));
            row.put("support", support);
            rows.add(row);
        }
        return rows;
    }

    /** Everything about a finished run, for {@code --metrics-out}. */
    static Map<String, Object> metrics(String command, Trainer.Result r, List<String> names, Path modelFile) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", command);
        m.put("test_accuracy", r.testAccuracy());
        m.put("test_errors", errors(r.evaluation()));
        m.put("test_examples", r.evaluation().getNumRowCounter());
        m.put("epochs", r.history().size());
        m.put("train_seconds", r.trainSeconds());
        m.put("examples_per_second", r.examplesPerSecond());
        m.put("final_train_loss", r.history().isEmpty() ? null : r.history().get(r.history().size() - 1).trainLoss());
        m.put("model", r.model().describe());
        m.put("parameters", r.model().numParams());
        m.put("model_file", modelFile == null ? null : modelFile.toString());
        m.put("config", r.config().toMap());
        m.put("history", r.history().stream().map(EpochStats::toMap).toList());
        m.put("per_class", perClass(r.evaluation(), names));
        m.put("confusion_matrix", confusion(r.evaluation(), names.size()));
        m.put("environment", NativeSettings.describe());
        return m;
    }

    static long errors(Evaluation eval) {
        return Math.round(eval.getNumRowCounter() * (1 - eval.accuracy()));
    }

    /** The one line printed at the end of {@code train} and {@code distill}. */
    static String summary(Trainer.Result r, Path modelFile) {
        return String.format(Locale.ROOT, "RESULT %s: test accuracy %.2f%% (%d/%d wrong), %d epochs, %.1f s "
                        + "training, %,.0f examples/s%s",
                r.config().describe(), 100 * r.testAccuracy(), errors(r.evaluation()),
                r.evaluation().getNumRowCounter(), r.history().size(), r.trainSeconds(), r.examplesPerSecond(),
                modelFile == null ? "" : ", model " + modelFile);
    }

    /** Accuracy, per-class precision/recall/F1 and the confusion matrix, as a text report. */
    static void printEvaluation(PrintStream out, Evaluation eval, List<String> names) {
        int k = names.size();
        out.printf(Locale.ROOT, "accuracy %.2f%% (%d of %d wrong)%n", 100 * eval.accuracy(), errors(eval),
                eval.getNumRowCounter());
        out.printf(Locale.ROOT, "macro precision %.4f, macro recall %.4f, macro F1 %.4f%n%n",
                eval.precision(), eval.recall(), eval.f1());
        int w = Math.max(5, names.stream().mapToInt(String::length).max().orElse(5));
        out.printf(Locale.ROOT, "%-" + w + "s  precision  recall      f1  support%n", "class");
        for (Map<String, Object> row : perClass(eval, names)) {
            out.printf(Locale.ROOT, "%-" + w + "s  %9.4f  %6.4f  %6.4f  %7d%n", row.get("class"),
                    row.get("precision"), row.get("recall"), row.get("f1"), row.get("support"));
        }
        out.println();
        out.println("confusion matrix (rows: actual, columns: predicted)");
        int[][] cm = confusion(eval, k);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%" + w + "s", ""));
        for (int p = 0; p < k; p++) {
            head.append(String.format(Locale.ROOT, " %5s", abbreviate(names.get(p))));
        }
        out.println(head);
        for (int a = 0; a < k; a++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s", names.get(a)));
            for (int p = 0; p < k; p++) {
                line.append(String.format(Locale.ROOT, " %5d", cm[a][p]));
            }
            out.println(line);
        }
    }

    private static String abbreviate(String name) {
        return name.length() <= 5 ? name : name.substring(0, 5);
    }
}
