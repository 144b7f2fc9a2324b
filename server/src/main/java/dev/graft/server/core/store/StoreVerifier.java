package dev.graft.server.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a store on disk without changing it ({@code graft-server --verify-store}):
 *
 * <ul>
 *   <li>every model manifest parses, names its folder, and the files it records are there with
 *       their sizes and SHA-256 ({@link ManifestFiles}; manifests older than that record only the
 *       total size, which is checked); a trained model's job is SUCCEEDED with it as
 *       {@code result_model};
 *   <li>every dataset manifest parses and its parts are there with their sizes and SHA-256 (older
 *       manifests: the total size, and the hash when there is one part);
 *   <li>every job record parses; a job is terminal unless the instance running it is alive; a
 *       FAILED or CANCELLED job has an error reason; a SUCCEEDED job's {@code result_model}
 *       exists (or was deleted since) and names the job;
 *   <li>nothing is left over by a dead process ({@link Leftovers}).
 * </ul>
 *
 * Meant for a stopped store or one whose servers are idle: a live instance's work in progress is
 * not reported, but a write racing the check can still show. Not thread-safe; one use per check.
 */
public final class StoreVerifier {
  private final Path root;

  public StoreVerifier(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** What a check found: one line per problem, and how much was checked. */
  public record Report(List<String> problems, int models, int datasets, int jobs) {
    public boolean consistent() {
      return problems.isEmpty();
    }

    /** The summary line of a consistent store, or of the number of problems. */
    public String summary() {
      String checked = models + " model version(s), " + datasets + " dataset(s), " + jobs + " job(s)";
      return consistent() ? "store OK: " + checked : problems.size() + " problem(s) in " + checked;
    }
  }

  /**
   * Checks the store.
   *
   * @throws IOException when the store cannot be listed (not a store, or unreadable)
   */
  public Report verify() throws IOException {
    if (!Files.isDirectory(root.resolve("models")) || !Files.isDirectory(root.resolve("jobs"))) {
      throw new IOException(root + " is not a Graft store (no models/ or jobs/ folder)");
    }
    Set<String> alive = StoreLayout.liveInstances(root);
    JsonCodec json = new JsonCodec();
    Problems problems = new Problems(root);
    int models = new ModelChecks(root, json, alive, problems).run();
    int datasets = new DatasetChecks(root, json, problems).run();
    int jobs = new JobChecks(root, json, alive, problems).run();
    for (StoreLeftover leftover : new Leftovers(root, Leftovers.ofLiveInstances(alive)).find()) {
      problems.add(leftover.path(), "left over: " + leftover.why());
    }
    return new Report(problems.lines(), models, datasets, jobs);
  }

  /** The problems found so far, each as "relative/path: what is wrong". */
  static final class Problems {
    private final Path root;
    private final List<String> lines = new ArrayList<>();

    Problems(Path root) {
      this.root = root;
    }

    void add(Path path, String what) {
      lines.add(root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/") + ": " + what);
    }

    List<String> lines() {
      return List.copyOf(lines);
    }
  }
}
