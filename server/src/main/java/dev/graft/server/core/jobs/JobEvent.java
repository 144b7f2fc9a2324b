package dev.graft.server.core.jobs;

import dev.graft.server.core.store.JobRecord;

/** A job as it is now and a human-readable line about what changed. Immutable. */
public record JobEvent(JobRecord job, String message) {}
