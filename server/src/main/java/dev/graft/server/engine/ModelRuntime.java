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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Loaded models, one instance per (model version, device): base models as {@link Backbone}s from
 * their domain plugin, trained models through the strategy that made them, sharing their base's
 * backbone (memory grows by the head, not the backbone). Loading happens once, on first use.
 * Thread-safe; closes everything it loaded on {@link #close()}.
 */
@Singleton
public final class ModelRuntime implements AutoCloseable {
  private final ModelStore models;
  private final PluginRegistry plugins;
  private final Map<Key, Backbone> backbones = new ConcurrentHashMap<>();
  private final Map<Key, TrainedModel> trained = new ConcurrentHashMap<>();

  private record Key(String ref, String device) {}

  @Inject
  public ModelRuntime(ModelStore models, PluginRegistry plugins) {
    this.models = models;
    this.plugins = plugins;
  }

  /** The domain plugin a model belongs to. */
  public DomainPlugin domainOf(ModelRecord model) {
    return plugins.domain(model.domain());
  }

  /** The backbone of a base model, or of a trained model's base, loaded on {@code device}. */
  public Backbone backbone(ModelRecord model, DeviceSpec device) {
    ModelRecord base = model.kind() == ModelKind.BASE ? model : models.get(model.baseModel());
    return backbones.computeIfAbsent(new Key(base.ref(), device.id()), k -> open(base, device));
  }

  /** A trained model loaded for serving on {@code device}. */
  public TrainedModel trained(ModelRecord model, DeviceSpec device) {
    if (model.kind() != ModelKind.TRAINED) {
      throw GraftException.failedPrecondition("NOT_A_TRAINED_MODEL",
          "model " + model.ref() + " is a base model: it has no task head to predict with; "
              + "train one from it, or call Extract for its features");
    }
    Backbone backbone = backbone(model, device);
    return trained.computeIfAbsent(new Key(model.ref(), device.id()), k -> plugins.strategy(model.strategy())
        .load(new LoadContext(model.ref(), models.directory(model), new TaskSpec(model.task(), model.labels()),
            model.properties(), backbone, device.toDjlDevice())));
  }

  /** The stored form of a base model, as plugins see it. */
  public BaseModel baseModel(ModelRecord base) {
    return new BaseModel(base.ref(), models.directory(base), base.format(), base.properties());
  }

  private Backbone open(ModelRecord base, DeviceSpec device) {
    return domainOf(base).openBackbone(baseModel(base), device.toDjlDevice());
  }

  /** Unloads every instance of a model version (after it was deleted). */
  public void evict(String ref) {
    List<AutoCloseable> closing = new ArrayList<>();
    trained.entrySet().removeIf(e -> e.getKey().ref().equals(ref) && closing.add(e.getValue()));
    backbones.entrySet().removeIf(e -> e.getKey().ref().equals(ref) && closing.add(e.getValue()));
    closing.forEach(ModelRuntime::closeQuietly);
  }

  /** How many model instances are loaded (for server info and tests). */
  public int loadedCount() {
    return backbones.size() + trained.size();
  }

  /** The model versions loaded now, one entry per loaded instance (a version on two devices twice). */
  public List<String> loadedRefs() {
    List<String> refs = new ArrayList<>();
    backbones.keySet().forEach(k -> refs.add(k.ref()));
    trained.keySet().forEach(k -> refs.add(k.ref()));
    return refs;
  }

  @Override
  public void close() {
    trained.values().forEach(ModelRuntime::closeQuietly);
    backbones.values().forEach(ModelRuntime::closeQuietly);
    trained.clear();
    backbones.clear();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      System.getLogger(ModelRuntime.class.getName()).log(System.Logger.Level.WARNING, "closing a model failed", e);
    }
  }
}
