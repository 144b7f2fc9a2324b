package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.inference.Inferencer;
import java.time.Clock;
import javax.inject.Named;
import javax.inject.Singleton;

/** Values derived from the server configuration. */
@Module
interface ConfigModule {

  @Provides
  @Singleton
  static ServerIdentity identity(ServerConfig config) {
    return new ServerIdentity(ServerIdentity.versionFromManifest(), config.replicaId());
  }

  @Provides
  static Clock clock() {
    return Clock.systemUTC();
  }

  @Provides
  @Named("model-memory-budget")
  static long modelMemoryBudget(ServerConfig config) {
    return config.modelMemoryBudget();
  }

  @Provides
  static Inferencer.InferenceLimits inferenceLimits(ServerConfig config) {
    return new Inferencer.InferenceLimits(config.maxInputsPerRequest(), config.maxBatch(), config.inferenceSlots());
  }
}
