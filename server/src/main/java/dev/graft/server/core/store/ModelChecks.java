package dev.graft.server.core.store;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.graft.server.core.store.StoreVerifier.Problems;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@link StoreVerifier}'s checks of {@code models/<name>/<version>/manifest.json}: it parses and
 * names its folder; the files are those it records; a trained model's job agrees that it
 * produced this version. Folders without a manifest are judged by {@link Leftovers}.
 */
final class ModelChecks {
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");

  private final Path root;
  private final JsonCodec json;
  private final Set<String> alive;
  private final Problems problems;

  ModelChecks(Path root, JsonCodec json, Set<String> alive, Problems problems) {
    this.root = root;
    this.json = json;
    this.alive = alive;
    this.problems = problems;
  }

  /** Checks every version with a manifest; returns how many. */
  int run() throws IOException {
    int checked = 0;
    for (Path nameDir : FileTrees.children(root.resolve("models"))) {
      if (!Files.isDirectory(nameDir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      for (Path dir : FileTrees.children(nameDir)) {
        if (VERSION.matcher(dir.getFileName().toString()).matches()
            && Files.isRegularFile(dir.resolve(ModelStore.MANIFEST))) {
          checkVersion(dir);
          checked++;
        }
      }
    }
    return checked;
  }

  private void checkVersion(Path dir) throws IOException {
    Path manifest = dir.resolve(ModelStore.MANIFEST);
    JsonObject tree;
    ModelRecord record;
    Optional<Map<String, ManifestFiles.Entry>> files;
    try {
      tree = JsonParser.parseString(Files.readString(manifest, StandardCharsets.UTF_8)).getAsJsonObject();
      record = json.fromJson(tree, ModelRecord.class);
      files = ManifestFiles.read(tree);
    } catch (JsonParseException | NullPointerException | IllegalStateException | UnsupportedOperationException e) {
      problems.add(manifest, "unreadable: " + e.getMessage());
      return;
    }
    String expected = dir.getParent().getFileName() + "@" + dir.getFileName();
    if (!record.ref().equals(expected)) {
      problems.add(manifest, "names " + record.ref() + ", but its folder is " + expected);
      return;
    }
    if (files.isPresent()) {
      RecordedFiles.check(dir, files.get(), problems);
    } else {
      long total = RecordedFiles.present(dir).values().stream().mapToLong(Long::longValue).sum();
      if (total != record.sizeBytes()) {
        problems.add(dir, "files total " + total + " bytes, the manifest records " + record.sizeBytes());
      }
    }
    if (record.kind() == ModelKind.TRAINED && !record.jobId().isEmpty()) {
      checkJob(manifest, record);
    }
  }

  /** The job that trained a version must say it did (the disagreement a crash after publishing caused). */
  private void checkJob(Path manifest, ModelRecord record) {
    Path jobFile = StoredJobs.file(root, record.jobId());
    Optional<LocalJobStore.Stored> stored;
    try {
      stored = StoredJobs.read(json, jobFile);
    } catch (IOException e) {
      return; // reported by the job checks
    }
    if (stored.isEmpty()) {
      problems.add(manifest, "trained by job " + record.jobId() + ", which has no record");
      return;
    }
    JobRecord job = stored.get().job();
    if (!job.state().terminal() && alive.contains(stored.get().owner())) {
      return; // still finishing on a live instance
    }
    if (job.state() != JobState.SUCCEEDED || !job.resultModel().equals(record.ref())) {
      problems.add(manifest, "trained by job " + job.id() + ", which is " + job.state() + " with result_model '"
          + job.resultModel() + "' (the model and its job disagree)");
    }
  }
}
