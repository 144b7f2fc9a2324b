package dev.graft.server.core.jobs;

import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.security.Principal;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.inject.Inject;

/**
 * What a principal may train with and into, checked when a job is submitted (not when it runs):
 * its output name must not be a base model's or another principal's model, its datasets must be
 * its own, and {@code resume_from} must name one of its own jobs that left checkpoints. Admins
 * may use anything. Thread-safe.
 */
public final class JobAccess {
  /** The {@code hyperparameters.extra} key of the backbone-training strategies. */
  static final String RESUME_FROM = "resume_from";
  /** The checkpoint a resumed job continues from. */
  static final String LAST_CHECKPOINT = "last";

  private final ModelStore models;
  private final JobStore jobs;
  private final StoreLayout layout;

  @Inject
  public JobAccess(ModelStore models, JobStore jobs, StoreLayout layout) {
    this.models = models;
    this.jobs = jobs;
    this.layout = layout;
  }

  /**
   * The output model may not shadow a base model or take over someone else's model. Checked when
   * the job is submitted and again just before its model is published (another principal may have
   * published that name meanwhile).
   */
  static void checkOutputModel(ModelStore models, String name, Principal principal) {
    models.find(name).ifPresent(latest -> {
      if (latest.kind() == ModelKind.BASE) {
        throw GraftException.invalidArgument("output_model", "NAME_TAKEN_BY_BASE",
            "output_model '" + name + "' is a base model; a trained model needs a name of its own");
      }
      if (!principal.canModify(latest.createdBy())) {
        throw GraftException.permissionDenied("NOT_OWNER", "output_model '" + name + "' belongs to '"
            + latest.createdBy() + "'; principal '" + principal.name() + "' may not add versions to it");
      }
    });
  }

  /** A dataset is trained on by the principal that uploaded it (or an admin). */
  public void checkDataset(DatasetRecord dataset, String field, Principal principal) {
    if (!principal.canModify(dataset.createdBy())) {
      throw GraftException.permissionDenied("NOT_OWNER", field + ": dataset " + dataset.id()
          + " belongs to another principal");
    }
  }

  /** {@code resume_from} names the caller's own job, and that job left checkpoints. */
  void checkResumeFrom(String jobId, Principal principal) {
    if (jobId == null || jobId.isEmpty()) {
      return;
    }
    String field = "hyperparameters.extra[" + RESUME_FROM + "]";
    if (!jobId.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,127}")) {
      throw GraftException.invalidArgument(field, "INVALID_JOB_ID", field + " must be a job id like job-1a2b3c");
    }
    JobRecord job = jobs.find(jobId).orElseThrow(() -> GraftException.invalidArgument(field, "JOB_NOT_FOUND",
        field + ": no job '" + jobId + "'"));
    if (!principal.canModify(job.createdBy())) {
      throw GraftException.permissionDenied("NOT_OWNER", field + ": job " + jobId + " belongs to another principal");
    }
    // The training kit resumes from the job's last epoch (checkpoints/<job>/last/).
    if (!hasFiles(layout.checkpoints().resolve(jobId).resolve(LAST_CHECKPOINT))) {
      throw GraftException.failedPrecondition("NO_CHECKPOINT", field + ": job " + jobId
          + " has no last checkpoint to resume from (feature extraction keeps none; after success only"
          + " keep-checkpoints=all keeps it; checkpoint-max-age-days removes old ones)");
    }
  }

  private static boolean hasFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (IOException e) {
      return false;
    }
  }
}
