package dev.graft.plugins.trainingkit;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.util.JsonUtils;
import dev.graft.spi.GraftException;
import dev.graft.spi.TrainableBackbone;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A job's checkpoints in its checkpoint folder: {@code last/} (the weights and state after the
 * latest epoch) and {@code best/} (those of the best epoch so far), each holding
 * {@code encoder.params}, {@code head.params} and {@code checkpoint.json}. A checkpoint is written
 * into a temporary folder and then swapped in by renames, so a crash leaves either the old or the
 * new one whole. Not thread-safe: one job writes its own folder; others only read it.
 */
final class Checkpoints {
  static final String LAST = "last";
  static final String BEST = "best";
  static final String ENCODER = "encoder.params";
  static final String HEAD = "head.params";
  static final String STATE = "checkpoint.json";

  private final Path root;

  Checkpoints(Path root) {
    this.root = root;
  }

  Path dir(String which) {
    return root.resolve(which);
  }

  /** Writes the current weights and {@code state} as {@code last/}. */
  void saveLast(TrainableBackbone backbone, Block head, CheckpointState state) throws IOException {
    Path tmp = fresh(LAST + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp.resolve(ENCODER)),
        1 << 20)) {
      backbone.saveParameters(out);
    }
    try (OutputStream out = Files.newOutputStream(tmp.resolve(HEAD))) {
      TaskHead.save(head, out);
    }
    try (Writer w = Files.newBufferedWriter(tmp.resolve(STATE), StandardCharsets.UTF_8)) {
      JsonUtils.GSON_PRETTY.toJson(state, w);
    }
    swapIn(tmp, LAST);
  }

  /** Copies {@code last/} to {@code best/}. */
  void promoteLast() throws IOException {
    copy(dir(LAST), BEST);
  }

  /** Copies another job's {@code best/} checkpoint as this job's {@code best/} (for a resume). */
  void adoptBest(Checkpoints other) throws IOException {
    if (other.state(BEST).isPresent()) {
      copy(other.dir(BEST), BEST);
    }
  }

  private void copy(Path from, String to) throws IOException {
    Path tmp = fresh(to + ".tmp");
    for (String file : new String[] {ENCODER, HEAD, STATE}) {
      Files.copy(from.resolve(file), tmp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    swapIn(tmp, to);
  }

  /** The state of {@code last/} or {@code best/}, when that checkpoint exists and is readable. */
  Optional<CheckpointState> state(String which) {
    Path file = dir(which).resolve(STATE);
    if (!Files.isRegularFile(file) || !Files.isRegularFile(dir(which).resolve(ENCODER))
        || !Files.isRegularFile(dir(which).resolve(HEAD))) {
      return Optional.empty();
    }
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return Optional.ofNullable(JsonUtils.GSON.fromJson(r, CheckpointState.class));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Loads the weights of {@code which} into the backbone and the head.
   *
   * @throws GraftException FAILED_PRECONDITION CORRUPT_CHECKPOINT when they do not fit
   */
  void restore(String which, TrainableBackbone backbone, Block head, NDManager manager) {
    try (InputStream in = new BufferedInputStream(
        Files.newInputStream(dir(which).resolve(ENCODER)), 1 << 20)) {
      backbone.loadParameters(in);
    } catch (IOException e) {
      throw corrupt(which, e);
    }
    try (InputStream in = Files.newInputStream(dir(which).resolve(HEAD))) {
      TaskHead.load(head, manager, in);
    } catch (IOException e) {
      throw corrupt(which, e);
    }
  }

  private GraftException corrupt(String which, IOException e) {
    return GraftException.failedPrecondition("CORRUPT_CHECKPOINT",
        "checkpoint " + dir(which) + " cannot be read: " + e.getMessage());
  }

  private Path fresh(String name) throws IOException {
    Path tmp = root.resolve(name);
    delete(tmp);
    Files.createDirectories(tmp);
    return tmp;
  }

  private void swapIn(Path tmp, String name) throws IOException {
    Path target = dir(name);
    Path old = root.resolve(name + ".old");
    delete(old);
    if (Files.exists(target)) {
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    delete(old);
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
