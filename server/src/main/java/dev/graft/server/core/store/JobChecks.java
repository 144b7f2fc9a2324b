package dev.graft.server.core.store;

import dev.graft.server.core.store.StoreVerifier.Problems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * {@link StoreVerifier}'s checks of {@code jobs/<id>.json}: the record parses and names its file;
 * it is terminal unless its instance is alive; a terminal job has an end time; a FAILED or
 * CANCELLED job has an error reason; a SUCCEEDED job's {@code result_model} exists and names the
 * job, or was deleted since (its {@code .deleted} marker).
 */
final class JobChecks {
  private final Path root;
  private final JsonCodec json;
  private final Set<String> alive;
  private final Problems problems;

  JobChecks(Path root, JsonCodec json, Set<String> alive, Problems problems) {
    this.root = root;
    this.json = json;
    this.alive = alive;
    this.problems = problems;
  }

  /** Checks every job record; returns how many. */
  int run() throws IOException {
    int checked = 0;
    for (Path file : FileTrees.children(root.resolve("jobs"))) {
      String name = file.getFileName().toString();
      if (name.endsWith(".json") && !name.startsWith(".")) {
        check(file, name.substring(0, name.length() - ".json".length()));
        checked++;
      }
    }
    return checked;
  }

  private void check(Path file, String id) {
    LocalJobStore.Stored stored;
    try {
      Optional<LocalJobStore.Stored> read = StoredJobs.read(json, file);
      if (read.isEmpty()) {
        return; // removed meanwhile
      }
      stored = read.get();
    } catch (IOException e) {
      problems.add(file, e.getMessage());
      return;
    }
    JobRecord job = stored.job();
    if (!job.id().equals(id)) {
      problems.add(file, "holds job " + job.id());
      return;
    }
    if (!job.state().terminal()) {
      if (!alive.contains(stored.owner())) {
        problems.add(file, job.state() + ", but the server that ran it is gone (not recovered yet: start a server"
            + " on this store)");
      }
      return;
    }
    if (job.endTime() == null) {
      problems.add(file, job.state() + " without an end time");
    }
    switch (job.state()) {
      case FAILED, CANCELLED -> {
        if (job.error() == null || job.error().reason().isEmpty()) {
          problems.add(file, job.state() + " without an error reason");
        }
      }
      case SUCCEEDED -> checkResult(file, job);
      default -> { }
    }
  }

  private void checkResult(Path file, JobRecord job) {
    String ref = job.resultModel();
    int at = ref.lastIndexOf('@');
    if (at <= 0) {
      problems.add(file, "SUCCEEDED with result_model '" + ref + "', which is not name@version");
      return;
    }
    Path dir = root.resolve("models").resolve(ref.substring(0, at)).resolve(ref.substring(at + 1)).normalize();
    if (!dir.startsWith(root.resolve("models"))) {
      problems.add(file, "SUCCEEDED with result_model '" + ref + "', which is not a model name");
    } else if (Files.isRegularFile(dir.resolve(ModelStore.MANIFEST))) {
      checkNamesJob(file, job, dir.resolve(ModelStore.MANIFEST));
    } else if (!Files.exists(dir.resolve(LocalModelStore.TOMBSTONE))) {
      problems.add(file, "SUCCEEDED with result_model " + ref + ", which does not exist (and was not deleted)");
    }
  }

  private void checkNamesJob(Path file, JobRecord job, Path manifest) {
    try {
      ModelRecord model = json.fromJson(Files.readString(manifest), ModelRecord.class);
      if (!model.jobId().equals(job.id())) {
        problems.add(file, "SUCCEEDED with result_model " + job.resultModel() + ", which job '" + model.jobId()
            + "' trained");
      }
    } catch (IOException | RuntimeException e) {
      // an unreadable manifest is reported by the model checks
    }
  }
}
