package dev.graft.server.core.store;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads everything a local store holds, for tools that copy it elsewhere ({@code graft store
 * migrate}), without opening it: no {@link StoreLayout} is made, so nothing is created, swept or
 * locked, and a store in use can be recognised ({@link #liveInstances()}) and refused. Items that
 * cannot be read are reported as problems ("relative/path: what is wrong") and left out.
 *
 * <p>Not thread-safe; meant for a stopped store.
 */
public final class LocalStoreReader {
  private final Path root;
  private final JsonCodec json = new JsonCodec();
  private final List<String> problems = new ArrayList<>();

  /**
   * @throws IOException when {@code root} is not a local store (no {@code models/} or {@code jobs/})
   */
  public LocalStoreReader(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.root.resolve("models")) || !Files.isDirectory(this.root.resolve("jobs"))) {
      throw new IOException(this.root + " is not a Graft store (no models/ or jobs/ folder)");
    }
  }

  public Path root() {
    return root;
  }

  /** The instances (servers) holding their lock on the store now; a stopped store has none. */
  public Set<String> liveInstances() {
    return StoreLayout.liveInstances(root);
  }

  /**
   * A version number of a model, live or deleted.
   *
   * @param record the version's record; null for a deleted version (its number stays taken)
   * @param folder the folder holding its files (and its manifest)
   * @param recordedFiles the files its manifest records with their sizes and SHA-256, when it does
   * @param deletedAt for a deleted version, when it was deleted (as far as the disk tells)
   */
  public record Version(String name, int version, ModelRecord record, Path folder,
      Optional<Map<String, ManifestFiles.Entry>> recordedFiles, Instant deletedAt) {
    public boolean deleted() {
      return record == null;
    }

    public String ref() {
      return name + "@" + version;
    }
  }

  /** A dataset with its folder and, when its manifest records them, its parts' sizes and SHA-256. */
  public record Dataset(DatasetRecord record, Path folder, Optional<Map<String, ManifestFiles.Entry>> recordedFiles) {}

  /** An alias: {@code name:alias} names {@code version}. */
  public record Alias(String name, String alias, int version) {}

  /** A job as its owner (an instance id of this store, "" if none is recorded) last saved it. */
  public record Job(JobRecord record, String owner) {}

  /**
   * Every version number of every model, sorted by name and version. A version folder without a
   * manifest is deleted (a delete moves the manifest out first; a publish renames a whole folder).
   */
  public List<Version> versions() throws IOException {
    List<Version> out = new ArrayList<>();
    for (Path nameDir : FileTrees.children(root.resolve("models"))) {
      String name = nameDir.getFileName().toString();
      if (!StoreNames.MODEL.matcher(name).matches() || !Files.isDirectory(nameDir)) {
        continue;
      }
      for (Path dir : FileTrees.children(nameDir)) {
        String v = dir.getFileName().toString();
        if (!StoreNames.VERSION.matcher(v).matches() || !Files.isDirectory(dir)) {
          continue;
        }
        int version = Integer.parseInt(v);
        Path manifest = dir.resolve(ModelStore.MANIFEST);
        String text;
        try {
          text = Files.readString(manifest, StandardCharsets.UTF_8);
        } catch (NoSuchFileException deleted) {
          Path tombstone = dir.resolve(LocalModelStore.TOMBSTONE);
          Path when = Files.exists(tombstone) ? tombstone : dir;
          out.add(new Version(name, version, null, dir, Optional.empty(),
              Files.getLastModifiedTime(when).toInstant()));
          continue;
        }
        try {
          JsonObject tree = JsonParser.parseString(text).getAsJsonObject();
          ModelRecord record = json.fromJson(tree, ModelRecord.class);
          if (!record.ref().equals(name + "@" + version)) {
            problem(manifest, "names " + record.ref() + ", but its folder is " + name + "@" + version);
            continue;
          }
          if (record.createTime() == null) {
            problem(manifest, "records no create time");
            continue;
          }
          out.add(new Version(name, version, record, dir, ManifestFiles.read(tree), null));
        } catch (JsonParseException | NullPointerException | IllegalStateException
            | UnsupportedOperationException e) {
          problem(manifest, "unreadable: " + e.getMessage());
        }
      }
    }
    out.sort(Comparator.comparing(Version::name).thenComparingInt(Version::version));
    return out;
  }

  /** Every alias, sorted by model name and alias. */
  public List<Alias> aliases() throws IOException {
    List<Alias> out = new ArrayList<>();
    Path aliases = root.resolve("aliases");
    for (Path nameDir : FileTrees.children(aliases)) {
      String name = nameDir.getFileName().toString();
      if (!StoreNames.MODEL.matcher(name).matches() || !Files.isDirectory(nameDir)) {
        continue;
      }
      for (Path file : FileTrees.children(nameDir)) {
        String alias = file.getFileName().toString();
        if (!ModelAliases.isValid(alias) || !Files.isRegularFile(file)) {
          continue;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
          int version = Integer.parseInt(text);
          if (version <= 0) {
            throw new NumberFormatException("not positive");
          }
          out.add(new Alias(name, alias, version));
        } catch (NumberFormatException e) {
          problem(file, "not a version number: '" + text + "'");
        }
      }
    }
    out.sort(Comparator.comparing(Alias::name).thenComparing(Alias::alias));
    return out;
  }

  /** Every dataset, in {@link DatasetStore#ORDER}; a folder without a manifest (a publish cut short) is skipped. */
  public List<Dataset> datasets() throws IOException {
    List<Dataset> out = new ArrayList<>();
    for (Path dir : FileTrees.children(root.resolve("datasets"))) {
      String id = dir.getFileName().toString();
      if (!DatasetIntake.isId(id) || !Files.isDirectory(dir)) {
        continue;
      }
      Path manifest = dir.resolve(ModelStore.MANIFEST);
      String text;
      try {
        text = Files.readString(manifest, StandardCharsets.UTF_8);
      } catch (NoSuchFileException cutShort) {
        continue;
      }
      try {
        JsonObject tree = JsonParser.parseString(text).getAsJsonObject();
        DatasetRecord record = json.fromJson(tree, DatasetRecord.class);
        if (!record.id().equals(id)) {
          problem(manifest, "names " + record.id() + ", but its folder is " + id);
          continue;
        }
        if (record.createTime() == null) {
          problem(manifest, "records no create time");
          continue;
        }
        out.add(new Dataset(record, dir, ManifestFiles.read(tree)));
      } catch (JsonParseException | NullPointerException | IllegalStateException | UnsupportedOperationException e) {
        problem(manifest, "unreadable: " + e.getMessage());
      }
    }
    out.sort(Comparator.comparing(Dataset::record, DatasetStore.ORDER));
    return out;
  }

  /** Every job, oldest first (then by id). */
  public List<Job> jobs() throws IOException {
    List<Job> out = new ArrayList<>();
    for (Path file : FileTrees.children(root.resolve("jobs"))) {
      String name = file.getFileName().toString();
      if (!name.endsWith(".json") || !Files.isRegularFile(file)) {
        continue;
      }
      String id = name.substring(0, name.length() - ".json".length());
      if (!JobRecovery.validId(id)) {
        continue;
      }
      try {
        LocalJobStore.Stored stored = LocalJobStore.parse(json, Files.readString(file, StandardCharsets.UTF_8));
        if (!stored.job().id().equals(id)) {
          problem(file, "holds job " + stored.job().id());
          continue;
        }
        out.add(new Job(stored.job(), stored.owner()));
      } catch (JsonParseException | NullPointerException | IllegalStateException | UnsupportedOperationException e) {
        problem(file, "unreadable: " + e.getMessage());
      }
    }
    out.sort(Comparator.comparing((Job j) -> j.record().createTime() == null ? Instant.EPOCH : j.record().createTime())
        .thenComparing(j -> j.record().id()));
    return out;
  }

  /** What could not be read so far, one "relative/path: what is wrong" each. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  private void problem(Path path, String what) {
    problems.add(root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/") + ": " + what);
  }
}
