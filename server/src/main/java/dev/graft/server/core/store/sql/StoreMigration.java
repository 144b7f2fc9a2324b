package dev.graft.server.core.store.sql;

import dev.graft.server.core.store.LocalStoreReader;
import dev.graft.server.core.store.ManifestFiles;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.blob.BlobFolders;
import dev.graft.server.core.store.blob.BlobRef;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Copies a stopped local store into the shared store ({@code graft store migrate}), keeping every
 * identity: each model version its {@code name@version} (a deleted version stays a deleted row, so
 * its number is never reused), each alias, each dataset its id, each job its id and record as it is
 * (an unfinished one keeps its local owner, which is never alive here, so the shared store's
 * recovery ends it as a restarted local server would). Job checkpoints and cancel requests are not
 * copied.
 *
 * <p>Order: datasets, model versions (by name and version), aliases, jobs. Every item goes through
 * an idempotent import ({@link ImportResult}): what is there already is skipped, a different item
 * under the same identity is a conflict (reported, never overwritten), and blobs are
 * content-addressed, so running the migration again after an interruption completes it without
 * duplicates or re-uploads. A backend that is down (UNAVAILABLE) stops the run at once; other
 * failures are reported per item and the run goes on.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class StoreMigration {
  /** The kinds of items copied. */
  public enum Kind {
    MODEL_VERSIONS("model version(s)"),
    DELETED_VERSIONS("deleted version(s)"),
    ALIASES("alias(es)"),
    DATASETS("dataset(s)"),
    JOBS("job(s)");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** How many items of one kind were copied, found there already, or in conflict. */
  public record Count(int copied, int present, int conflicts) {
    Count plus(ImportResult.Outcome outcome) {
      return switch (outcome) {
        case COPIED -> new Count(copied + 1, present, conflicts);
        case PRESENT -> new Count(copied, present + 1, conflicts);
        case CONFLICT -> new Count(copied, present, conflicts + 1);
      };
    }
  }

  /**
   * What a run did.
   *
   * @param problems one line per conflict or failure, empty on success
   * @param interrupted whether a backend outage (or a live server on the source) stopped it early
   */
  public record Report(Map<Kind, Count> counts, int blobsSent, long bytesSent, List<String> problems,
      boolean interrupted) {
    public boolean succeeded() {
      return problems.isEmpty();
    }

    public Count count(Kind kind) {
      return counts.getOrDefault(kind, new Count(0, 0, 0));
    }

    /** The closing lines: one per kind, then the blobs sent and the outcome. */
    public List<String> summary() {
      List<String> out = new ArrayList<>();
      for (Kind kind : Kind.values()) {
        Count c = count(kind);
        out.add(kind.label + ": " + c.copied() + " copied, " + c.present() + " already there"
            + (c.conflicts() > 0 ? ", " + c.conflicts() + " in conflict" : ""));
      }
      out.add("blobs sent: " + blobsSent + " (" + bytesSent + " bytes)");
      out.add(succeeded() ? "migration complete"
          : interrupted ? "migration interrupted with " + problems.size() + " problem(s); run it again to resume"
          : "migration finished with " + problems.size() + " problem(s)");
      return out;
    }
  }

  private final LocalStoreReader source;
  private final SqlModelStore models;
  private final SqlDatasetStore datasets;
  private final SqlJobStore jobs;
  private final Consumer<String> progress;
  private final Map<Kind, Count> counts = new EnumMap<>(Kind.class);
  private final List<String> problems = new ArrayList<>();
  private int blobsSent;
  private long bytesSent;

  /** @param progress receives one line per model version, dataset, alias, and per job in conflict */
  public StoreMigration(LocalStoreReader source, SqlModelStore models, SqlDatasetStore datasets, SqlJobStore jobs,
      Consumer<String> progress) {
    this.source = Objects.requireNonNull(source, "source");
    this.models = Objects.requireNonNull(models, "models");
    this.datasets = Objects.requireNonNull(datasets, "datasets");
    this.jobs = Objects.requireNonNull(jobs, "jobs");
    this.progress = Objects.requireNonNull(progress, "progress");
  }

  /** The owner recorded for a job of the local store: never the id of a shared store's instance. */
  public static String owner(String localOwner) {
    return localOwner == null || localOwner.isEmpty() ? "local" : "local:" + localOwner;
  }

  /**
   * Copies the store. Refuses (copying nothing) while a server holds the source store open.
   *
   * @throws IOException when the source cannot be listed
   */
  public Report run() throws IOException {
    Set<String> live = source.liveInstances();
    if (!live.isEmpty()) {
      problems.add(inUse(live));
      return report(true);
    }
    try {
      for (LocalStoreReader.Dataset d : source.datasets()) {
        copyDataset(d);
      }
      for (LocalStoreReader.Version v : source.versions()) {
        copyVersion(v);
      }
      for (LocalStoreReader.Alias a : source.aliases()) {
        String name = "alias " + a.name() + ":" + a.alias() + " -> " + a.version();
        item(Kind.ALIASES, name, true, () -> models.aliases() instanceof SqlModelAliases sql
            ? sql.importAlias(a.name(), a.alias(), a.version())
            : ImportResult.conflict("not a shared store"));
      }
      for (LocalStoreReader.Job j : source.jobs()) {
        item(Kind.JOBS, "job " + j.record().id(), false, () -> jobs.importJob(j.record(), owner(j.owner())));
      }
    } catch (Interrupted e) {
      problems.addAll(source.problems());
      return report(true);
    }
    problems.addAll(0, source.problems());
    live = source.liveInstances();
    if (!live.isEmpty()) {
      problems.add(inUse(live) + " (it started during the migration: run the migration again once it is stopped)");
    }
    return report(false);
  }

  private void copyDataset(LocalStoreReader.Dataset d) {
    String name = "dataset " + d.record().id() + " '" + d.record().name() + "'";
    item(Kind.DATASETS, name, true, () -> {
      Map<String, BlobRef> files = BlobFolders.describe(d.folder(), p -> !p.equals(ModelStore.MANIFEST));
      String differs = differs(files, d.recordedFiles());
      if (differs != null) {
        throw new IllegalArgumentException("not copied: its files differ from its manifest (" + differs + ")");
      }
      return datasets.importDataset(d.record(), d.folder(), files);
    });
  }

  private void copyVersion(LocalStoreReader.Version v) {
    if (v.deleted()) {
      item(Kind.DELETED_VERSIONS, "model " + v.ref() + " (deleted, its number kept)", true,
          () -> models.importDeletedVersion(v.name(), v.version(), v.deletedAt()));
      return;
    }
    item(Kind.MODEL_VERSIONS, "model " + v.ref(), true, () -> {
      Map<String, BlobRef> files = BlobFolders.describe(v.folder(), p -> !p.equals(ModelStore.MANIFEST));
      String differs = differs(files, v.recordedFiles());
      if (differs != null) {
        throw new IllegalArgumentException("not copied: its files differ from its manifest (" + differs + ")");
      }
      return models.importVersion(v.record(), v.folder(), files);
    });
  }

  /** Imports one item; an outage stops the run ({@link Interrupted}), other failures are problems. */
  private void item(Kind kind, String name, boolean print, java.util.function.Supplier<ImportResult> work) {
    ImportResult result;
    try {
      result = work.get();
    } catch (GraftException e) {
      if (e.kind() == ErrorKind.UNAVAILABLE) {
        problems.add(name + ": interrupted: " + e.getMessage());
        progress.accept(name + ": interrupted: " + e.getMessage());
        throw new Interrupted();
      }
      problems.add(name + ": " + e.getMessage());
      progress.accept(name + ": FAILED: " + e.getMessage());
      return;
    } catch (IllegalArgumentException e) {
      problems.add(name + ": " + e.getMessage());
      progress.accept(name + ": FAILED: " + e.getMessage());
      return;
    }
    counts.merge(kind, new Count(0, 0, 0).plus(result.outcome()),
        (a, b) -> new Count(a.copied() + b.copied(), a.present() + b.present(), a.conflicts() + b.conflicts()));
    blobsSent += result.blobsSent();
    bytesSent += result.bytesSent();
    switch (result.outcome()) {
      case COPIED -> {
        if (print) {
          progress.accept(name + ": copied" + (result.blobsSent() > 0
              ? " (" + result.blobsSent() + " blob(s), " + result.bytesSent() + " bytes sent)" : ""));
        }
      }
      case PRESENT -> {
        if (print) {
          progress.accept(name + ": already there" + (result.detail().isEmpty() ? "" : " (" + result.detail() + ")"));
        }
      }
      case CONFLICT -> {
        problems.add(name + ": conflict: " + result.detail());
        progress.accept(name + ": CONFLICT: " + result.detail());
      }
    }
  }

  /** How the files found differ from those the manifest records, or null when they agree (or none are recorded). */
  private static String differs(Map<String, BlobRef> found, java.util.Optional<Map<String, ManifestFiles.Entry>> recorded) {
    if (recorded.isEmpty()) {
      return null;
    }
    Map<String, ManifestFiles.Entry> expected = new TreeMap<>(recorded.get());
    for (var e : expected.entrySet()) {
      BlobRef ref = found.get(e.getKey());
      if (ref == null) {
        return "'" + e.getKey() + "' is missing";
      }
      if (ref.size() != e.getValue().size() || !ref.sha256().equals(e.getValue().sha256())) {
        return "'" + e.getKey() + "' is " + ref.size() + " bytes with SHA-256 " + ref.sha256() + ", the manifest records "
            + e.getValue().size() + " bytes with SHA-256 " + e.getValue().sha256();
      }
    }
    for (String path : found.keySet()) {
      if (!expected.containsKey(path)) {
        return "'" + path + "' is not recorded";
      }
    }
    return null;
  }

  private String inUse(Set<String> live) {
    return "the store at " + source.root() + " is in use by " + live.size() + " running server(s) (instance(s) "
        + String.join(", ", live) + "): stop them before migrating";
  }

  private Report report(boolean interrupted) {
    return new Report(Map.copyOf(counts), blobsSent, bytesSent, List.copyOf(problems), interrupted);
  }

  /** Thrown out of {@link #item} when a backend is down. */
  private static final class Interrupted extends RuntimeException {
    Interrupted() {
      super(null, null, false, false);
    }
  }
}
