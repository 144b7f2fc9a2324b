package dev.graft.server.core.estimate;

import dev.graft.server.core.jobs.FeatureCache;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.engine.Loaded;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.InferenceLease;
import dev.graft.spi.Backbone;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.inject.Inject;

/**
 * A base model's frozen features of both splits, as a feature-extraction job with default options
 * computes them (the backbone's default layer and pooling, L2-normalised), through the same
 * {@link FeatureCache} keys: features a job computed are reused here and the other way round.
 * Computed in batches of {@value #BATCH} inputs on inference slots of the default device pool
 * (one slot per batch, so Extract and Predict calls interleave), checking for cancellation between
 * batches. Thread-safe.
 */
final class FrozenFeatures {
  static final int BATCH = 32;
  private static final Duration SLOT_WAIT = Duration.ofSeconds(30);

  private final ModelRuntime runtime;
  private final DeviceScheduler scheduler;
  private final FeatureCache cache;

  @Inject
  FrozenFeatures(ModelRuntime runtime, DeviceScheduler scheduler, FeatureCache cache) {
    this.runtime = runtime;
    this.scheduler = scheduler;
    this.cache = cache;
  }

  /** Both splits' features; {@code cached} when neither had to be computed. */
  record Splits(float[][] train, float[][] validation, boolean cached) {}

  /**
   * @param dataKey the data and split as the cache knows them; empty for inline data (not cached)
   */
  Splits of(ModelRecord base, Optional<String> dataKey, List<Example> train, List<Example> validation,
      CancellationToken cancellation) {
    FeatureRequest request = defaultRequest(base);
    boolean[] computed = {false};
    float[][] trainFeatures = split(base, dataKey, "train", train, request, cancellation, computed);
    float[][] validationFeatures = validation.isEmpty() ? new float[0][]
        : split(base, dataKey, "validation", validation, request, cancellation, computed);
    return new Splits(trainFeatures, validationFeatures, dataKey.isPresent() && !computed[0]);
  }

  private float[][] split(ModelRecord base, Optional<String> dataKey, String name, List<Example> examples,
      FeatureRequest request, CancellationToken cancellation, boolean[] computed) {
    Supplier<float[][]> compute = () -> {
      computed[0] = true;
      return compute(base, examples, request, cancellation);
    };
    return dataKey.isEmpty() ? compute.get()
        : cache.get(FeatureCache.key(base.ref(), dataKey.get(), name, request), compute);
  }

  /** What the feature-extraction strategy asks for when no option is given. */
  private FeatureRequest defaultRequest(ModelRecord base) {
    try (InferenceLease lease = lease(); Loaded<Backbone> backbone = runtime.backbone(base, lease.device())) {
      Backbone b = backbone.get();
      return new FeatureRequest(b.layers().isEmpty() ? "" : b.defaultLayer(), b.defaultPooling(), true);
    }
  }

  private float[][] compute(ModelRecord base, List<Example> examples, FeatureRequest request,
      CancellationToken cancellation) {
    float[][] out = new float[examples.size()][];
    for (int from = 0; from < examples.size(); from += BATCH) {
      cancellation.throwIfCancelled();
      int to = Math.min(examples.size(), from + BATCH);
      List<ModelInput> inputs = examples.subList(from, to).stream().map(Example::input).toList();
      float[][] batch;
      try (InferenceLease lease = lease(); Loaded<Backbone> backbone = runtime.backbone(base, lease.device())) {
        batch = backbone.get().extract(inputs, request);
      }
      if (batch == null || batch.length != inputs.size()) {
        throw GraftException.internal("BACKBONE_FAILED", "the backbone of " + base.ref() + " returned "
            + (batch == null ? "nothing" : batch.length + " vectors") + " for " + inputs.size() + " inputs", null);
      }
      System.arraycopy(batch, 0, out, from, batch.length);
    }
    cancellation.throwIfCancelled();
    return out;
  }

  private InferenceLease lease() {
    try {
      return scheduler.acquireInference(scheduler.defaultPool(), SLOT_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw GraftException.cancelled("INTERRUPTED", "the call was interrupted while waiting for a device");
    }
  }
}
