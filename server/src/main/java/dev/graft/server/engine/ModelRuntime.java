package dev.graft.server.engine;

import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.scheduler.DeviceSpec;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.LoadContext;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainedModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import javax.inject.Inject;
import javax.inject.Named;
import javax.inject.Singleton;

/**
 * Loaded models, one instance per (model version, device): base models as {@link Backbone}s from
 * their domain plugin, trained models through the strategy that made them, sharing their base's
 * backbone (memory grows by the head, not the backbone). Loading happens once, on first use.
 *
 * <p>Memory is bounded by {@code model-memory-budget}: each instance counts its stored size (its
 * files hold its weights). Loading one that would not fit unloads the least recently used
 * instances that nobody holds (a backbone goes with the heads that borrow it); a model larger than
 * the whole budget is {@code RESOURCE_EXHAUSTED MODEL_TOO_LARGE}. A model in use — held through
 * {@link Loaded} by a call or a training job — is never unloaded; when what is held already fills
 * the budget, the new model loads anyway and the budget is exceeded until they are released.
 * Thread-safe; closes everything it loaded on {@link #close()}.
 */
@Singleton
public final class ModelRuntime implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ModelRuntime.class.getName());

  private final ModelStore models;
  private final PluginRegistry plugins;
  private final long budget;
  /** Loaded instances, least recently used first. Guarded by {@code this}. */
  private final LinkedHashMap<Key, Entry> loaded = new LinkedHashMap<>(16, 0.75f, true);
  /** Instances being loaded, and the bytes reserved for them. Guarded by {@code this}. */
  private final Map<Key, CompletableFuture<Entry>> loading = new HashMap<>();
  private long reserved;

  private record Key(String ref, String device) {}

  /** One loaded instance. Guarded by the runtime's lock, except {@code instance}. */
  private static final class Entry {
    final Key key;
    final AutoCloseable instance;
    final long bytes;
    final Key backbone; // for a trained model, the backbone it borrows; else null
    int holds;
    boolean unloaded;
    Instant lastUsed = Instant.now();

    Entry(Key key, AutoCloseable instance, long bytes, Key backbone) {
      this.key = key;
      this.instance = instance;
      this.bytes = bytes;
      this.backbone = backbone;
    }
  }

  /** A loaded instance as {@code GetServerInfo} and metrics show it. */
  public record LoadedModel(String ref, String device, long estimatedBytes, boolean inUse, Instant lastUsed) {}

  @Inject
  public ModelRuntime(ModelStore models, PluginRegistry plugins, @Named("model-memory-budget") long budget) {
    this.models = models;
    this.plugins = plugins;
    this.budget = budget;
  }

  /** The domain plugin a model belongs to. */
  public DomainPlugin domainOf(ModelRecord model) {
    return plugins.domain(model.domain());
  }

  /** The backbone of a base model, or of a trained model's base, loaded on {@code device} and held. */
  public Loaded<Backbone> backbone(ModelRecord model, DeviceSpec device) {
    ModelRecord base = model.kind() == ModelKind.BASE ? model : models.get(model.baseModel());
    Entry entry = hold(new Key(base.ref(), device.id()), base.sizeBytes(), null,
        () -> domainOf(base).openBackbone(baseModel(base), device.toDjlDevice()));
    return new Loaded<>((Backbone) entry.instance, () -> release(entry));
  }

  /** A trained model loaded for serving on {@code device}, held with its backbone. */
  public Loaded<TrainedModel> trained(ModelRecord model, DeviceSpec device) {
    if (model.kind() != ModelKind.TRAINED) {
      throw GraftException.failedPrecondition("NOT_A_TRAINED_MODEL",
          "model " + model.ref() + " is a base model: it has no task head to predict with; "
              + "train one from it, or call Extract for its features");
    }
    Loaded<Backbone> backbone = backbone(model, device);
    try {
      Key backboneKey = new Key(models.get(model.baseModel()).ref(), device.id());
      Entry entry = hold(new Key(model.ref(), device.id()), model.sizeBytes(), backboneKey,
          () -> plugins.strategy(model.strategy()).load(new LoadContext(model.ref(), models.directory(model),
              new TaskSpec(model.task(), model.labels()), model.properties(), backbone.get(),
              device.toDjlDevice())));
      return new Loaded<>((TrainedModel) entry.instance, () -> {
        release(entry);
        backbone.close();
      });
    } catch (RuntimeException | Error e) {
      backbone.close();
      throw e;
    }
  }

  /** The stored form of a base model, as plugins see it. */
  public BaseModel baseModel(ModelRecord base) {
    return new BaseModel(base.ref(), models.directory(base), base.format(), base.properties());
  }

  /** Holds the instance of {@code key}, loading it first (once, whoever asks) if needed. */
  private Entry hold(Key key, long bytes, Key backbone, Supplier<AutoCloseable> open) {
    while (true) {
      CompletableFuture<Entry> mine = null;
      CompletableFuture<Entry> theirs;
      List<Entry> evicted = new ArrayList<>();
      synchronized (this) {
        Entry entry = loaded.get(key);
        if (entry != null) {
          entry.holds++;
          entry.lastUsed = Instant.now();
          return entry;
        }
        theirs = loading.get(key);
        if (theirs == null) {
          if (bytes > budget) {
            throw GraftException.resourceExhausted("MODEL_TOO_LARGE", "model " + key.ref() + " needs about "
                + bytes + " bytes, more than the whole model-memory-budget of " + budget + " bytes");
          }
          evicted = makeRoom(bytes);
          mine = new CompletableFuture<>();
          loading.put(key, mine);
          reserved += bytes;
        }
      }
      evicted.forEach(ModelRuntime::closeQuietly);
      if (mine == null) {
        try {
          theirs.join();
        } catch (CompletionException failed) {
          // the loader's caller got the error; this caller tries again (and likely gets it too)
        }
        continue;
      }
      AutoCloseable instance;
      try {
        instance = open.get();
      } catch (RuntimeException | Error e) {
        synchronized (this) {
          loading.remove(key);
          reserved -= bytes;
        }
        mine.completeExceptionally(e);
        throw e;
      }
      Entry entry = new Entry(key, instance, bytes, backbone);
      entry.holds = 1;
      synchronized (this) {
        loading.remove(key);
        reserved -= bytes;
        loaded.put(key, entry);
      }
      mine.complete(entry);
      return entry;
    }
  }

  /**
   * Unloads least recently used instances nobody holds until {@code bytes} more fit; returns them
   * to be closed outside the lock. A backbone goes with the heads that borrow it (none of which is
   * held, or the backbone would be).
   */
  private List<Entry> makeRoom(long bytes) {
    List<Entry> out = new ArrayList<>();
    Iterator<Entry> lru = new ArrayList<>(loaded.values()).iterator();
    while (used() + bytes > budget && lru.hasNext()) {
      Entry candidate = lru.next();
      if (candidate.unloaded || candidate.holds > 0) {
        continue;
      }
      for (Entry e : new ArrayList<>(loaded.values())) {
        if (candidate.key.equals(e.backbone) && e.holds == 0) {
          unload(e, out);
        }
      }
      if (loaded.values().stream().noneMatch(e -> candidate.key.equals(e.backbone))) {
        unload(candidate, out);
      }
    }
    if (used() + bytes > budget) {
      LOG.log(System.Logger.Level.WARNING, "model-memory-budget of " + budget + " bytes exceeded: the models in use"
          + " hold " + used() + " bytes and another needs " + bytes);
    }
    return out;
  }

  private void unload(Entry e, List<Entry> out) {
    loaded.remove(e.key);
    e.unloaded = true;
    out.add(e);
    LOG.log(System.Logger.Level.INFO, "unloaded " + e.key.ref() + " on " + e.key.device() + " (" + e.bytes
        + " bytes, least recently used) to stay within model-memory-budget");
  }

  private long used() {
    return reserved + loaded.values().stream().mapToLong(e -> e.bytes).sum();
  }

  private void release(Entry entry) {
    boolean close;
    synchronized (this) {
      entry.holds--;
      close = entry.unloaded && entry.holds == 0;
    }
    if (close) {
      closeQuietly(entry);
    }
  }

  /**
   * Unloads every instance of a model version (after it was deleted); an instance still held is
   * closed when its last holder releases it.
   */
  public void evict(String ref) {
    List<Entry> closing = new ArrayList<>();
    synchronized (this) {
      for (Entry e : new ArrayList<>(loaded.values())) {
        if (e.key.ref().equals(ref)) {
          loaded.remove(e.key);
          e.unloaded = true;
          if (e.holds == 0) {
            closing.add(e);
          }
        }
      }
    }
    closing.forEach(ModelRuntime::closeQuietly);
  }

  /** How many model instances are loaded (for server info and tests). */
  public synchronized int loadedCount() {
    return loaded.size();
  }

  /** The loaded instances, least recently used first. */
  public synchronized List<LoadedModel> loaded() {
    return loaded.values().stream()
        .map(e -> new LoadedModel(e.key.ref(), e.key.device(), e.bytes, e.holds > 0, e.lastUsed)).toList();
  }

  /** The budget loaded models are kept within, in bytes. */
  public long budget() {
    return budget;
  }

  @Override
  public void close() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(loaded.values());
      loaded.clear();
    }
    // Heads first: they borrow their backbones.
    all.stream().filter(e -> e.backbone != null).forEach(ModelRuntime::closeQuietly);
    all.stream().filter(e -> e.backbone == null).forEach(ModelRuntime::closeQuietly);
  }

  private static void closeQuietly(Entry e) {
    try {
      e.instance.close();
    } catch (Exception x) {
      LOG.log(System.Logger.Level.WARNING, "closing model " + e.key.ref() + " failed", x);
    }
  }
}
