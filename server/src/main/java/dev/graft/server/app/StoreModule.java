package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.api.ExamplesDatasetParser;
import dev.graft.server.core.Limits;
import dev.graft.server.core.jobs.ClusterJobs;
import dev.graft.server.core.jobs.FileJobRelay;
import dev.graft.server.core.jobs.JobRelay;
import dev.graft.server.core.store.CsvDatasetParser;
import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.IdxDatasetParser;
import dev.graft.server.core.store.JobStore;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.JsonlDatasetParser;
import dev.graft.server.core.store.LocalDatasetStore;
import dev.graft.server.core.store.LocalJobStore;
import dev.graft.server.core.store.LocalModelStore;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreDescription;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.core.store.StoreSweeper;
import dev.graft.server.core.store.ZipDatasetParser;
import dev.graft.server.scheduler.DeviceScheduler;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import javax.inject.Singleton;

/**
 * The stores: the local store (a folder, the default) or, when {@code store} names a database,
 * the shared store ({@link SharedStore}: PostgreSQL, object storage, the cluster's job queue).
 * The local folder ({@link StoreLayout}) exists in both: with a shared store it holds staging,
 * caches and checkpoints ({@code work-dir}).
 */
@Module
interface StoreModule {

  @Provides
  @Singleton
  static StoreLayout layout(ServerConfig config) {
    return new StoreLayout(config.store());
  }

  @Provides
  @Singleton
  static JsonCodec json() {
    return new JsonCodec();
  }

  @Provides
  @Singleton
  static Map<DatasetFormat, DatasetParser> parsers() {
    return Map.of(
        DatasetFormat.JSONL, new JsonlDatasetParser(),
        DatasetFormat.CSV, new CsvDatasetParser(),
        DatasetFormat.IDX, new IdxDatasetParser(),
        DatasetFormat.EXAMPLES, new ExamplesDatasetParser(),
        DatasetFormat.ZIP, new ZipDatasetParser());
  }

  @Provides
  @Singleton
  static Optional<SharedStore> shared(ServerConfig config, StoreLayout layout, JsonCodec json,
      Map<DatasetFormat, DatasetParser> parsers, Limits limits) {
    return config.sharedStore().map(s -> SharedStore.open(s, layout.root(), json, parsers, limits));
  }

  @Provides
  @Singleton
  static ModelStore models(Optional<SharedStore> shared, StoreLayout layout, JsonCodec json) {
    return shared.<ModelStore>map(s -> s.models).orElseGet(() -> new LocalModelStore(layout, json));
  }

  @Provides
  @Singleton
  static DatasetStore datasets(Optional<SharedStore> shared, StoreLayout layout, JsonCodec json,
      Map<DatasetFormat, DatasetParser> parsers, Limits limits) {
    return shared.<DatasetStore>map(s -> s.datasets)
        .orElseGet(() -> new LocalDatasetStore(layout, json, parsers, limits));
  }

  @Provides
  @Singleton
  static JobStore jobs(Optional<SharedStore> shared, StoreLayout layout, JsonCodec json) {
    return shared.<JobStore>map(s -> s.jobs).orElseGet(() -> new LocalJobStore(layout, json));
  }

  @Provides
  @Singleton
  static JobRelay relay(Optional<SharedStore> shared, JobStore jobs, StoreLayout layout) {
    return shared.<JobRelay>map(s -> s.relay)
        .orElseGet(() -> new FileJobRelay(jobs, layout, FileJobRelay.DEFAULT_INTERVAL));
  }

  @Provides
  @Singleton
  static Optional<ClusterJobs> cluster(ServerConfig config, Optional<SharedStore> shared, JobStore jobs,
      ModelStore models, DeviceScheduler scheduler, StoreLayout layout, JsonCodec json, Clock clock) {
    return shared.map(s -> {
      ServerConfig.SharedStore settings = config.sharedStore().orElseThrow();
      return new ClusterJobs(s.queue, s.checkpoints, jobs, models, scheduler, layout, json, clock,
          new ClusterJobs.Settings(ClusterJobs.DEFAULT_CLAIM_INTERVAL, ClusterJobs.DEFAULT_SWEEP_INTERVAL,
              settings.maxJobAttempts(), settings.lostJobPolicy(), config.queueCapacity()));
    });
  }

  @Provides
  @Singleton
  static StoreDescription description(ServerConfig config, Optional<SharedStore> shared) {
    return shared.map(SharedStore::description)
        .orElseGet(() -> new StoreDescription(StoreDescription.LOCAL, config.store().toString(), "", () -> 1));
  }

  @Provides
  @Singleton
  static StoreSweeper sweeper(StoreLayout layout) {
    return new StoreSweeper(layout);
  }
}
