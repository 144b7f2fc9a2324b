package dev.graft.server.core.store;

import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The rules every {@link JobStore} backend shares for job ids and for jobs whose server died.
 * Stateless.
 */
public final class JobRecovery {
  /** The reason of a job that was QUEUED or RUNNING when its server stopped. */
  public static final String SERVER_RESTARTED = "SERVER_RESTARTED";
  /** Why a job that was running is SUCCEEDED after a restart (logged). */
  static final String RECOVERED_PUBLISHED = "recovered: the model was published before the server stopped";

  private JobRecovery() {}

  /** Whether {@code id} is a valid job id (1 to 128 characters from A-Z, a-z, 0-9, '.', '_', '-'). */
  public static boolean validId(String id) {
    return id != null && StoreNames.JOB_ID.matcher(id).matches();
  }

  /**
   * Checks a job id before it is stored.
   *
   * @throws GraftException INVALID_ARGUMENT (field "id", reason INVALID_JOB_ID) when it is not valid
   */
  public static void checkId(String id) {
    if (!validId(id)) {
      throw GraftException.invalidArgument(
          "id", "INVALID_JOB_ID", "job id '" + id + "' must be 1 to 128 characters from A-Z, a-z, 0-9, '.', '_', '-'");
    }
  }

  /**
   * The outcome of an unfinished job whose server died, ended at {@code now}: SUCCEEDED with the
   * model's ref and final metrics when {@code published} (a live version of its output model that
   * names the job) is present, else FAILED with {@code JobError(UNAVAILABLE, SERVER_RESTARTED,
   * "server restarted")}.
   */
  public static JobRecord ended(JobRecord job, Optional<ModelRecord> published, Instant now) {
    if (published.isPresent()) {
      return job.withState(JobState.SUCCEEDED)
          .withResultModel(published.get().ref())
          .withError(null)
          .withFinalMetrics(published.get().metrics())
          .withEndTime(now);
    }
    return job.withState(JobState.FAILED)
        .withError(new JobError(ErrorKind.UNAVAILABLE, SERVER_RESTARTED, "server restarted"))
        .withEndTime(now);
  }

  /** Logs what {@link #ended} made of a job that was {@code before} when its server stopped. */
  public static void log(Logger log, JobRecord before, JobRecord ended) {
    if (ended.state() == JobState.SUCCEEDED) {
      log.info("job {} was {} when its server stopped, but model {} was published: SUCCEEDED ({})", ended.id(),
          before.state(), ended.resultModel(), RECOVERED_PUBLISHED);
    } else {
      log.info("job {} was {} when its server stopped; marked FAILED", ended.id(), before.state());
    }
  }
}
