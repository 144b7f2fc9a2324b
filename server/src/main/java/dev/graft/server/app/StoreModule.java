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
import java.util.Map;
import java.util.Optional;
import javax.inject.Singleton;

/** The on-disk stores under the configured store directory. */
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
  static ModelStore models(StoreLayout layout, JsonCodec json) {
    return new LocalModelStore(layout, json);
  }

  @Provides
  @Singleton
  static DatasetStore datasets(StoreLayout layout, JsonCodec json, Limits limits) {
    return new LocalDatasetStore(layout, json, Map.of(
        DatasetFormat.JSONL, new JsonlDatasetParser(),
        DatasetFormat.CSV, new CsvDatasetParser(),
        DatasetFormat.IDX, new IdxDatasetParser(),
        DatasetFormat.EXAMPLES, new ExamplesDatasetParser(),
        DatasetFormat.ZIP, new ZipDatasetParser()), limits);
  }

  @Provides
  @Singleton
  static JobStore jobs(StoreLayout layout, JsonCodec json) {
    return new LocalJobStore(layout, json);
  }

  @Provides
  @Singleton
  static JobRelay relay(JobStore jobs, StoreLayout layout) {
    return new FileJobRelay(jobs, layout, FileJobRelay.DEFAULT_INTERVAL);
  }

  @Provides
  @Singleton
  static Optional<ClusterJobs> cluster() {
    return Optional.empty();
  }

  @Provides
  @Singleton
  static StoreDescription description(ServerConfig config) {
    return new StoreDescription(StoreDescription.LOCAL, config.store().toString(), "", () -> 1);
  }

  @Provides
  @Singleton
  static StoreSweeper sweeper(StoreLayout layout) {
    return new StoreSweeper(layout);
  }
}
