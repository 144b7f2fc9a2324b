package dev.graft.server.core.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.graft.server.core.store.StoreLeftover.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Finds what dead processes left in a store: entries no reader uses and no live instance can be
 * writing ({@link StoreLeftover}). Read-only; {@link StoreSweeper} removes what it finds,
 * {@link StoreVerifier} reports it.
 *
 * <p>What a crash can leave, and how each is told from work in progress:
 *
 * <ul>
 *   <li>{@code staging/<id>/} and {@code staging/<id>.lock} of an instance that holds no lock;
 *   <li>temporary files of {@link AtomicFiles#write} ({@code .<name>.<uuid>[.<owner>].tmp}) anywhere
 *       but {@code staging/} and {@code checkpoints/}: a temporary file naming its owner is left
 *       over when that owner is dead; one naming none by its age ({@link Liveness#mayBeInProgress});
 *   <li>a model version folder without a manifest: a publish cut short between claiming the
 *       version and renaming the staged folder onto it (empty), or a delete cut short after its
 *       manifest was moved out (the files remain); or a deleted version whose files remain beside
 *       its {@code .deleted} marker;
 *   <li>a dataset folder without a manifest (an id claimed by a publish cut short);
 *   <li>a cancel marker {@code jobs/<id>.cancel} of a job that ended or does not exist.
 * </ul>
 *
 * Folders are judged by age, as they name no owner.
 */
final class Leftovers {
  /** How long an entry that names no owner may belong to a live instance's operation in progress. */
  static final Duration GRACE = Duration.ofMinutes(10);
  /** File times may lag the clock by a tick: "before this instance started" means by more than this. */
  private static final Duration CLOCK_SLACK = Duration.ofMillis(100);
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");
  private static final Pattern DATASET_ID = Pattern.compile("ds-[0-9a-f]{12}");
  private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

  /** Who is alive, and whether an entry naming no owner may still be in a live instance's hands. */
  interface Liveness {
    boolean isAlive(String instanceId);

    boolean mayBeInProgress(Instant lastModified);
  }

  private final Path root;
  private final Liveness liveness;

  Leftovers(Path root, Liveness liveness) {
    this.root = root;
    this.liveness = liveness;
  }

  /** The liveness seen by a running store instance: its own work, and its live neighbours'. */
  static Liveness of(StoreLayout layout) {
    return new Liveness() {
      @Override
      public boolean isAlive(String id) {
        return layout.isAlive(id);
      }

      @Override
      public boolean mayBeInProgress(Instant modified) {
        if (modified.isBefore(Instant.now().minus(GRACE))) {
          return false;
        }
        // Older than this instance, with no neighbour alive: its writer is gone.
        return modified.isAfter(layout.started().minus(CLOCK_SLACK)) || layout.othersAlive();
      }
    };
  }

  /** The liveness seen from outside (a tool): instances alive now, and no own work. */
  static Liveness ofLiveInstances(Set<String> alive) {
    return new Liveness() {
      @Override
      public boolean isAlive(String id) {
        return alive.contains(id);
      }

      @Override
      public boolean mayBeInProgress(Instant modified) {
        return !alive.isEmpty() && modified.isAfter(Instant.now().minus(GRACE));
      }
    };
  }

  /** Every leftover, model versions before temporary files (finishing a delete removes its temporary files). */
  List<StoreLeftover> find() throws IOException {
    List<StoreLeftover> out = new ArrayList<>();
    staging(out);
    modelVersions(out);
    datasets(out);
    cancelMarkers(out);
    temporaryFiles(out);
    return out;
  }

  private void staging(List<StoreLeftover> out) throws IOException {
    for (Path entry : FileTrees.children(root.resolve("staging"))) {
      String owner = StoreLayout.stagingOwner(entry.getFileName().toString());
      boolean named = owner.matches("[a-z0-9]{1,64}");
      if (named ? !liveness.isAlive(owner) : !liveness.mayBeInProgress(modified(entry))) {
        out.add(new StoreLeftover(Kind.DEAD_STAGING, entry, "staging entry of instance " + owner
            + ", which is not running"));
      }
    }
  }

  private void modelVersions(List<StoreLeftover> out) throws IOException {
    for (Path nameDir : FileTrees.children(root.resolve("models"))) {
      if (!Files.isDirectory(nameDir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      for (Path dir : FileTrees.children(nameDir)) {
        if (!VERSION.matcher(dir.getFileName().toString()).matches()
            || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
            || Files.exists(dir.resolve(ModelStore.MANIFEST))) {
          continue;
        }
        boolean deleted = Files.exists(dir.resolve(LocalModelStore.TOMBSTONE));
        long remaining = FileTrees.children(dir).stream()
            .map(p -> p.getFileName().toString())
            .filter(n -> !n.equals(LocalModelStore.TOMBSTONE) && !AtomicFiles.isTemp(n))
            .count();
        if (deleted && remaining == 0 || liveness.mayBeInProgress(modified(dir))) {
          continue;
        }
        out.add(new StoreLeftover(Kind.UNFINISHED_MODEL_VERSION, dir, deleted
            ? "deleted version, but " + remaining + " of its files remain"
            : "no " + ModelStore.MANIFEST + " and no " + LocalModelStore.TOMBSTONE + " marker (a publish or delete cut"
                + " short; " + remaining + " file(s))"));
      }
    }
  }

  private void datasets(List<StoreLeftover> out) throws IOException {
    for (Path dir : FileTrees.children(root.resolve("datasets"))) {
      if (DATASET_ID.matcher(dir.getFileName().toString()).matches()
          && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          && !Files.exists(dir.resolve(ModelStore.MANIFEST))
          && !liveness.mayBeInProgress(modified(dir))) {
        out.add(new StoreLeftover(Kind.UNFINISHED_DATASET, dir, "no " + ModelStore.MANIFEST
            + " (an upload's publish cut short)"));
      }
    }
  }

  private void cancelMarkers(List<StoreLeftover> out) throws IOException {
    Path jobs = root.resolve("jobs");
    for (Path marker : FileTrees.children(jobs)) {
      String name = marker.getFileName().toString();
      if (!name.endsWith(LocalJobStore.CANCEL_SUFFIX) || name.startsWith(".")) {
        continue;
      }
      String id = name.substring(0, name.length() - LocalJobStore.CANCEL_SUFFIX.length());
      String state = jobState(jobs.resolve(id + ".json"));
      if (state == null || TERMINAL.contains(state)) {
        out.add(new StoreLeftover(Kind.STALE_CANCEL_MARKER, marker, state == null
            ? "cancel request for job " + id + ", which does not exist"
            : "cancel request for job " + id + ", which is " + state));
      }
    }
  }

  private void temporaryFiles(List<StoreLeftover> out) throws IOException {
    Set<Path> skipped = Set.of(root.resolve("staging"), root.resolve("checkpoints"));
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return skipped.contains(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        String name = file.getFileName().toString();
        if (!AtomicFiles.isTemp(name)) {
          return FileVisitResult.CONTINUE;
        }
        var owner = AtomicFiles.tempOwner(name);
        if (owner.isPresent() ? !liveness.isAlive(owner.get())
            : !liveness.mayBeInProgress(attrs.lastModifiedTime().toInstant())) {
          out.add(new StoreLeftover(Kind.TEMP_FILE, file, owner
              .map(o -> "temporary file of instance " + o + ", which is not running")
              .orElse("temporary file of a write that never finished")));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // removed meanwhile
        }
        throw e;
      }
    });
  }

  /** A job record's state; null when it does not exist, "UNREADABLE" when it cannot be read (the verifier says so). */
  private static String jobState(Path record) {
    try {
      JsonElement state = JsonParser.parseString(Files.readString(record, StandardCharsets.UTF_8))
          .getAsJsonObject().get("state");
      return state == null ? "UNREADABLE" : state.getAsString();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | JsonParseException | IllegalStateException | UnsupportedOperationException e) {
      return "UNREADABLE";
    }
  }

  private static Instant modified(Path p) {
    try {
      return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
    } catch (IOException e) {
      return Instant.now(); // vanished or unreadable: treat as in progress
    }
  }
}
