package dev.graft.server.core;

import java.time.Duration;
import java.util.Locale;

/**
 * Quotas that keep one client from exhausting the server's disk, file descriptors or job slots.
 * Each limit that refuses a request does so with RESOURCE_EXHAUSTED and a reason naming it.
 *
 * @param maxDatasetBytes the largest dataset upload, in bytes ({@code max-dataset-bytes})
 * @param maxDatasetsPerPrincipal datasets one principal may keep ({@code max-datasets-per-principal})
 * @param minFreeDiskBytes uploads and imports stop when the store's free space would fall below
 *     this ({@code min-free-disk-bytes})
 * @param maxImportParts distinct parts (files) in one ImportModel ({@code max-import-parts})
 * @param maxImportBytes bytes of one ImportModel, all parts together ({@code max-import-bytes})
 * @param uploadIdleTimeout an upload or import stream quiet for this long is ended
 *     ({@code upload-idle-timeout-seconds})
 * @param keepCheckpoints which checkpoints a job keeps after it SUCCEEDS ({@code keep-checkpoints})
 * @param checkpointMaxAge checkpoints of jobs that ended longer ago are deleted; zero = never
 *     ({@code checkpoint-max-age-days})
 * @param maxJobsPerPrincipal queued plus running jobs one principal may have
 *     ({@code max-jobs-per-principal})
 */
public record Limits(
    long maxDatasetBytes,
    int maxDatasetsPerPrincipal,
    long minFreeDiskBytes,
    int maxImportParts,
    long maxImportBytes,
    Duration uploadIdleTimeout,
    KeepCheckpoints keepCheckpoints,
    Duration checkpointMaxAge,
    int maxJobsPerPrincipal) {

  /** What a successful job keeps of its per-epoch checkpoints. */
  public enum KeepCheckpoints {
    /** Only the best epoch's checkpoint (what {@code resume_from} and audits need). */
    BEST,
    /** Every checkpoint. */
    ALL,
    /** None: the published model is all that remains. */
    NONE;

    public static KeepCheckpoints parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected best, all or none", e);
      }
    }
  }
}
