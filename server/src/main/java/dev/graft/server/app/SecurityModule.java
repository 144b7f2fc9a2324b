package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.core.Limits;
import dev.graft.server.security.SecuritySettings;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.inject.Named;
import javax.inject.Singleton;

/**
 * Security settings and quotas from the configuration, the timer that re-reads credential files,
 * and the housekeeping timer of the quotas (idle uploads, the checkpoint sweep).
 */
@Module
interface SecurityModule {

  @Provides
  static SecuritySettings security(ServerConfig config) {
    return config.security();
  }

  @Provides
  static Limits limits(ServerConfig config) {
    return config.limits();
  }

  /** Re-reads certificates and the tokens file; shut down with the server. */
  @Provides
  @Singleton
  @Named("credentials")
  static ScheduledExecutorService credentialsTimer() {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "graft-credentials");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Ends idle upload and import streams and sweeps old checkpoints; shut down with the server.
   * Cancelled timeouts leave its queue at once, so finished uploads hold nothing.
   */
  @Provides
  @Singleton
  @Named("housekeeping")
  static ScheduledExecutorService housekeepingTimer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "graft-housekeeping");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
