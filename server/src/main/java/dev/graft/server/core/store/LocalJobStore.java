package dev.graft.server.core.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local {@link JobStore}: job records in {@code jobs/<id>.json}, each written atomically together with the id of the
 * store instance that wrote it (its owner, see {@link StoreLayout#instanceId()}).
 *
 * <p>Jobs saved through this store are served from memory; others (written by another replica
 * sharing the store) are read from disk, and cached once terminal. {@link #recoverAfterRestart}
 * ends the unfinished jobs whose owner is no longer alive, which covers this server's previous
 * run and crashed replicas, but never the running jobs of a live replica: a job whose model was
 * published before its server died is SUCCEEDED, any other FAILED.
 *
 * <p>Thread-safe: saves of one id are serialised, saves of different ids run in parallel. Each
 * save fsyncs, so callers throttle frequent progress updates.
 */
public final class LocalJobStore implements JobStore {
  /** A request to cancel job {@code <id>}, for its owner: {@code jobs/<id>.cancel}. */
  public static final String CANCEL_SUFFIX = ".cancel";
  private static final Logger LOG = LoggerFactory.getLogger(LocalJobStore.class);
  private static final String SUFFIX = ".json";
  private static final String OWNER = "owner";

  private final StoreLayout layout;
  private final JsonCodec json;
  /** Jobs this instance saved: authoritative. */
  private final Map<String, JobRecord> owned = new ConcurrentHashMap<>();
  /** Terminal jobs of other instances (they never change). */
  private final Map<String, JobRecord> settled = new ConcurrentHashMap<>();

  public LocalJobStore(StoreLayout layout, JsonCodec json) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.json = Objects.requireNonNull(json, "json");
  }

  /**
   * Writes the job atomically; this instance becomes its owner.
   *
   * @throws GraftException INVALID_ARGUMENT (field "id", reason INVALID_JOB_ID) for an id that
   *     is not a safe file name; INTERNAL STORE_IO on I/O failure
   */
  @Override
  public void save(JobRecord job) {
    JobRecovery.checkId(job.id());
    JsonObject tree = json.toJsonTree(job).getAsJsonObject();
    tree.addProperty(OWNER, layout.instanceId());
    byte[] bytes = json.toJson(tree).getBytes(StandardCharsets.UTF_8);
    try {
      owned.compute(job.id(), (id, previous) -> {
        try {
          AtomicFiles.write(file(id), bytes, layout.instanceId());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return job;
      });
      settled.remove(job.id());
    } catch (UncheckedIOException e) {
      throw StoreErrors.io("cannot save job " + job.id(), e);
    }
  }

  /** The job, from memory if this instance owns it, else from disk (another replica may have written it). */
  @Override
  public Optional<JobRecord> find(String id) {
    if (!JobRecovery.validId(id)) {
      return Optional.empty();
    }
    JobRecord mine = owned.get(id);
    if (mine != null) {
      return Optional.of(mine);
    }
    JobRecord done = settled.get(id);
    if (done != null) {
      return Optional.of(done);
    }
    Stored stored = read(id);
    if (stored == null) {
      return Optional.empty();
    }
    if (stored.job.state().terminal()) {
      settled.put(id, stored.job);
    }
    return Optional.of(stored.job);
  }

  /** Every job on disk (and in memory), newest first. */
  @Override
  public List<JobRecord> list() {
    Map<String, JobRecord> all = new HashMap<>();
    for (String id : idsOnDisk()) {
      find(id).ifPresent(j -> all.put(id, j));
    }
    all.putAll(owned);
    List<JobRecord> out = new ArrayList<>(all.values());
    out.sort(JobStore.NEWEST_FIRST);
    return out;
  }

  /**
   * Call once at start (and whenever a job's owner is found dead): every QUEUED or RUNNING job
   * whose owner is no longer alive ends, with end time now, and is saved (this instance becomes
   * its owner):
   *
   * <ul>
   *   <li>if a version of its output model names the job ({@link ModelRecord#jobId()}), the server
   *       died after publishing it: the job is SUCCEEDED with that {@code result_model} and the
   *       model's final metrics, as if it had finished;
   *   <li>otherwise it is FAILED with {@code JobError(UNAVAILABLE, "SERVER_RESTARTED", "server
   *       restarted")}.
   * </ul>
   *
   * @return the jobs changed
   */
  @Override
  public List<JobRecord> recoverAfterRestart() {
    Instant now = Instant.now();
    List<JobRecord> recovered = new ArrayList<>();
    for (String id : idsOnDisk()) {
      if (owned.containsKey(id)) {
        continue;
      }
      Stored stored = read(id);
      if (stored == null || stored.job.state().terminal() || layout.isAlive(stored.owner)) {
        continue;
      }
      JobRecord ended = JobRecovery.ended(stored.job,
          LocalModelStore.publishedBy(layout, json, stored.job.outputModel(), id), now);
      save(ended);
      recovered.add(ended);
      JobRecovery.log(LOG, stored.job, ended);
    }
    return recovered;
  }

  private Path file(String id) {
    return layout.jobs().resolve(id + SUFFIX);
  }

  private List<String> idsOnDisk() {
    List<String> ids = new ArrayList<>();
    try {
      for (Path p : FileTrees.children(layout.jobs())) {
        String name = p.getFileName().toString();
        if (name.endsWith(SUFFIX)) {
          String id = name.substring(0, name.length() - SUFFIX.length());
          if (JobRecovery.validId(id)) {
            ids.add(id);
          }
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("cannot list jobs in " + layout.jobs(), e);
    }
    return ids;
  }

  /** A job file with its owner; null if absent or unreadable (logged). */
  private Stored read(String id) {
    Path path = file(id);
    try {
      Stored stored = parse(json, Files.readString(path, StandardCharsets.UTF_8));
      if (!stored.job.id().equals(id)) {
        LOG.warn("ignoring job file {}: it holds job {}", path, stored.job.id());
        return null;
      }
      return stored;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | JsonParseException | NullPointerException | IllegalStateException e) {
      LOG.warn("ignoring unreadable job file {}: {}", path, e.toString());
      return null;
    }
  }

  /**
   * A job file's content: the record and the instance that wrote it ("" if none is named).
   *
   * @throws JsonParseException for a malformed record (or NullPointerException,
   *     IllegalStateException where a required field is missing or of the wrong type)
   */
  static Stored parse(JsonCodec json, String text) {
    JsonElement tree = JsonParser.parseString(text);
    JsonElement owner = tree.isJsonObject() ? tree.getAsJsonObject().get(OWNER) : null;
    JobRecord job = json.fromJson(tree, JobRecord.class);
    return new Stored(job, owner != null && owner.isJsonPrimitive() ? owner.getAsString() : "");
  }

  /** A job record with the store instance that wrote it. */
  record Stored(JobRecord job, String owner) {}
}
