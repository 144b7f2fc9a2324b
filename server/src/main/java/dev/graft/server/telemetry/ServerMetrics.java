package dev.graft.server.telemetry;

import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.core.store.JobState;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.DeviceSnapshot;
import dev.graft.server.scheduler.PoolSnapshot;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The server's state, read when Prometheus scrapes: jobs by state, device pools (slots total and
 * busy, queue depth and capacity), the store (models, datasets, bytes on disk, free disk) and the
 * models loaded in memory with their estimated size (their stored size). The store's contents and
 * size are read at most every {@link #DISK_TTL}, so frequent scrapes cost little.
 */
public final class ServerMetrics {
  static final Duration DISK_TTL = Duration.ofSeconds(15);

  private final Supplier<StoreStats> store;

  private record StoreStats(long models, long datasets, long bytes, long freeBytes) {}

  public ServerMetrics(PrometheusRegistry registry, JobManager jobs, DeviceScheduler scheduler, ModelStore models,
      DatasetStore datasets, StoreLayout layout, ModelRuntime runtime) {
    store = new Memo<>(DISK_TTL, () -> {
      long free;
      try {
        free = Files.getFileStore(layout.root()).getUsableSpace();
      } catch (IOException e) {
        free = -1;
      }
      return new StoreStats(models.list().size(), datasets.list().size(), bytesUnder(layout.root()), free);
    });

    GaugeWithCallback.builder().name("graft_jobs").help("Jobs in the store by state")
        .labelNames("state")
        .callback(cb -> jobsByState(jobs).forEach((state, n) -> cb.call(n, state.name())))
        .register(registry);
    GaugeWithCallback.builder().name("graft_pool_slots").help("Slots of a device pool, by kind (training, inference)")
        .labelNames("pool", "kind")
        .callback(cb -> scheduler.snapshot().forEach(p -> {
          cb.call(sum(p, DeviceSnapshot::trainingSlots), p.name(), "training");
          cb.call(sum(p, DeviceSnapshot::inferenceSlots), p.name(), "inference");
        }))
        .register(registry);
    GaugeWithCallback.builder().name("graft_pool_slots_busy").help("Busy slots of a device pool, by kind")
        .labelNames("pool", "kind")
        .callback(cb -> scheduler.snapshot().forEach(p -> {
          cb.call(sum(p, DeviceSnapshot::runningJobs), p.name(), "training");
          cb.call(sum(p, DeviceSnapshot::runningInferences), p.name(), "inference");
        }))
        .register(registry);
    GaugeWithCallback.builder().name("graft_pool_queue_depth").help("Jobs waiting in a pool's queue")
        .labelNames("pool")
        .callback(cb -> scheduler.snapshot().forEach(p -> cb.call(p.queued(), p.name())))
        .register(registry);
    GaugeWithCallback.builder().name("graft_pool_queue_capacity").help("Jobs a pool's queue holds before QUEUE_FULL")
        .labelNames("pool")
        .callback(cb -> scheduler.snapshot().forEach(p -> cb.call(p.queueCapacity(), p.name())))
        .register(registry);
    GaugeWithCallback.builder().name("graft_store_models").help("Model versions in the store")
        .callback(cb -> cb.call(store.get().models())).register(registry);
    GaugeWithCallback.builder().name("graft_store_datasets").help("Datasets in the store")
        .callback(cb -> cb.call(store.get().datasets())).register(registry);
    GaugeWithCallback.builder().name("graft_store_bytes").help("Bytes of every file under the store")
        .callback(cb -> cb.call(store.get().bytes())).register(registry);
    GaugeWithCallback.builder().name("graft_store_free_bytes").help("Bytes free for the server on the store's disk")
        .callback(cb -> cb.call(store.get().freeBytes())).register(registry);
    GaugeWithCallback.builder().name("graft_models_loaded").help("Model instances loaded in memory")
        .callback(cb -> cb.call(runtime.loadedCount())).register(registry);
    GaugeWithCallback.builder().name("graft_model_memory_budget_bytes")
        .help("The model-memory-budget loaded models are kept within (least recently used ones are unloaded)")
        .callback(cb -> cb.call(runtime.budget())).register(registry);
    GaugeWithCallback.builder().name("graft_models_loaded_bytes")
        .help("Estimated memory of the loaded models: the stored size of each loaded instance")
        .callback(cb -> cb.call(runtime.loaded().stream().mapToLong(ModelRuntime.LoadedModel::estimatedBytes).sum()))
        .register(registry);
  }

  private static Map<JobState, Long> jobsByState(JobManager jobs) {
    Map<JobState, Long> byState = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) {
      byState.put(s, 0L);
    }
    for (JobRecord job : jobs.list()) {
      byState.merge(job.state(), 1L, Long::sum);
    }
    return byState;
  }

  private static long sum(PoolSnapshot pool, java.util.function.ToIntFunction<DeviceSnapshot> f) {
    return pool.devices().stream().mapToLong(f::applyAsInt).sum();
  }

  private static long bytesUnder(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      return files.mapToLong(p -> {
        try {
          return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException gone) {
          return 0; // deleted while walking
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /** A value computed at most once per {@code ttl}. */
  private static final class Memo<T> implements Supplier<T> {
    private final long ttlNanos;
    private final Supplier<T> compute;
    private T value;
    private long computedAt;

    Memo(Duration ttl, Supplier<T> compute) {
      this.ttlNanos = ttl.toNanos();
      this.compute = compute;
    }

    @Override
    public synchronized T get() {
      long now = System.nanoTime();
      if (value == null || now - computedAt > ttlNanos) {
        value = compute.get();
        computedAt = now;
      }
      return value;
    }
  }
}
