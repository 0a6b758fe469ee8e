package io.github.xent4j.examples.mnist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A training checkpoint: the engine's model zip (for DL4J, {@code ModelSerializer}'s zip with
 * the updater state) plus one entry {@value #STATE_ENTRY} holding {@link State} as JSON: the
 * configuration, the epochs done and the history so far. Written with {@link AtomicFiles}, so
 * the file at the checkpoint path is always a complete checkpoint of some finished epoch.
 */
public final class Checkpoint {

    /**
     * The zip entry with the training state. At the top level: DL4J's {@code ModelSerializer}
     * rejects zips with directory entries.
     */
    public static final String STATE_ENTRY = "xent4j-training-state.json";
    static final int FORMAT = 1;

    private Checkpoint() {
    }

    /**
     * Everything besides the network that a resumed run needs.
     *
     * @param command     {@code train} or {@code distill}
     * @param config      the run's configuration
     * @param epochsDone  completed epochs (the next one is {@code epochsDone + 1}, 1-based)
     * @param history     one entry per completed epoch
     * @param batchLosses every minibatch loss so far, for the plots
     */
    public record State(String command, TrainConfig config, int epochsDone, List<EpochStats> history,
                        List<Double> batchLosses) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("command", command);
            m.put("epochs_done", epochsDone);
            m.put("config", config.toMap());
            m.put("history", history.stream().map(EpochStats::toMap).toList());
            m.put("batch_losses", batchLosses);
            return m;
        }

        @SuppressWarnings("unchecked")
        static State fromMap(Map<String, Object> m) {
            Object format = m.get("format");
            if (!(format instanceof Number n) || n.intValue() != FORMAT) {
                throw new IllegalArgumentException("unsupported checkpoint state format " + format
                        + " (this version reads format " + FORMAT + ")");
            }
            List<EpochStats> history = new ArrayList<>();
            for (Object e : (List<Object>) m.get("history")) {
                history.add(EpochStats.fromMap((Map<String, Object>) e));
            }
            List<Double> losses = new ArrayList<>();
            for (Object v : (List<Object>) m.get("batch_losses")) {
                losses.add(((Number) v).doubleValue());
            }
            return new State((String) m.get("command"), TrainConfig.fromMap((Map<String, Object>) m.get("config")),
                    ((Number) m.get("epochs_done")).intValue(), history, losses);
        }
    }

    /**
     * Writes {@code model} and {@code state} to {@code target} atomically: the previous
     * checkpoint stays in place until the new one is complete on disk.
     */
    public static void write(Path target, TrainableModel model, State state) throws IOException {
        String json = Json.write(state.toMap());
        AtomicFiles.write(target, tmp -> {
            model.save(tmp);
            try (FileSystem zip = FileSystems.newFileSystem(tmp)) {
                Files.writeString(zip.getPath(STATE_ENTRY), json);
            }
        });
    }

    /**
     * Reads the training state of a checkpoint.
     *
     * @return the state, or {@code null} for a model zip without one (e.g. saved by other code)
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException         if it is not a zip file or its state is unreadable
     */
    public static State readState(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such checkpoint");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry entry = zip.getEntry(STATE_ENTRY);
            if (entry == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return State.fromMap(Json.read(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
                throw new IOException(file + ": unreadable training state in " + STATE_ENTRY + ": " + e.getMessage(), e);
            }
        } catch (ZipException e) {
            throw new IOException(file + " is not a model zip file (" + e.getMessage() + ")", e);
        }
    }
}
