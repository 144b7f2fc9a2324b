package dev.graft.server.inference;

import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.engine.Loaded;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.InferenceLease;
import dev.graft.server.telemetry.InferenceMetrics;
import dev.graft.server.telemetry.Spans;
import dev.graft.server.telemetry.Tracing;
import dev.graft.spi.Backbone;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.FeatureHead;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.TrainedModel;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.inject.Inject;
import javax.inject.Singleton;

/**
 * Runs Extract and Predict: resolves the model, checks every input with its domain, takes an
 * inference slot on the least-loaded device of the default pool and calls the loaded model.
 * Calls on one base model's features (Extract, and Predict on {@link FeatureHead}s over it) share
 * merged backbone passes. Measured ({@link InferenceMetrics}) and traced: inside each merged
 * batch's span, the wait for a slot ({@code graft.inference.slot_wait}), the engine call
 * ({@code graft.engine}) and each head ({@code graft.head}) are spans.
 * Thread-safe.
 */
@Singleton
public final class Inferencer {
  /** How long a call waits for a free inference slot before RESOURCE_EXHAUSTED. */
  private static final Duration SLOT_WAIT = Duration.ofSeconds(30);

  private final ModelStore models;
  private final ModelRuntime runtime;
  private final DeviceScheduler scheduler;
  private final InferenceLimits limits;
  private final DynamicBatcher batcher;
  private final InferenceMetrics metrics;
  private final Tracer tracer;
  private final Map<String, String> defaultLayers = new ConcurrentHashMap<>();
  /** Trained models known to be heads on their backbone, with the features they read. */
  private final Map<String, FeatureRequest> heads = new ConcurrentHashMap<>();

  @Inject
  public Inferencer(ModelStore models, ModelRuntime runtime, DeviceScheduler scheduler, InferenceLimits limits,
      InferenceMetrics metrics, Tracing tracing) {
    this.models = models;
    this.runtime = runtime;
    this.scheduler = scheduler;
    this.limits = limits;
    this.metrics = metrics;
    this.tracer = tracing.tracer();
    this.batcher = new DynamicBatcher(limits.maxBatch(), limits.parallelism(),
        Executors.newCachedThreadPool(new ThreadFactory() {
          private final AtomicInteger count = new AtomicInteger();

          @Override
          public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "graft-infer-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
          }
        }), tracer);
  }

  /** Features from a base model, or from a trained model's backbone. */
  public Result extract(String modelRef, List<ModelInput> inputs, FeatureRequest request) {
    long start = System.nanoTime();
    ModelRecord model = resolve(modelRef, inputs);
    ModelRecord base = baseOf(model);
    float[][] features = batcher.run(featuresKey(base, request), null, inputs, features(base, request));
    metrics.request("extract", model.ref(), inputs.size(), System.nanoTime() - start);
    String layer = request.layer().isEmpty() ? defaultLayers.get(base.ref()) : request.layer();
    return new Result(model.ref(), features, layer);
  }

  /**
   * Outputs of a trained model: class probabilities in label order, or values. Once a model has
   * shown itself a {@link FeatureHead}, its calls share the engine calls of its base model's
   * features (with Extract calls and other heads), and it runs on its own rows.
   */
  public Result predict(String modelRef, List<ModelInput> inputs) {
    long start = System.nanoTime();
    ModelRecord model = resolve(modelRef, inputs);
    FeatureRequest head = heads.get(model.ref());
    float[][] outputs;
    if (head != null) {
      ModelRecord base = baseOf(model);
      outputs = batcher.run(featuresKey(base, head), model.ref(), inputs, features(base, head));
    } else {
      outputs = batcher.run("predict|" + model.ref(), inputs, batch -> {
        try (InferenceLease lease = lease(); Loaded<TrainedModel> trained = runtime.trained(model, lease.device())) {
          if (trained.get() instanceof FeatureHead h) {
            heads.putIfAbsent(model.ref(), h.featureRequest());
          }
          return engine(model, batch.size(), () -> trained.get().predict(batch));
        }
      });
    }
    metrics.request("predict", model.ref(), inputs.size(), System.nanoTime() - start);
    return new Result(model.ref(), outputs, "");
  }

  private static String featuresKey(ModelRecord base, FeatureRequest request) {
    return "features|" + base.ref() + "|" + request;
  }

  /**
   * The engine of a features lane: one backbone pass over every part's inputs; untagged parts
   * (Extract) get their features, parts tagged with a head's model reference get that head's
   * outputs on their rows (each head runs once per pass, on all of its rows).
   */
  private DynamicBatcher.Engine features(ModelRecord base, FeatureRequest request) {
    return parts -> {
      try (InferenceLease lease = lease(); Loaded<Backbone> backbone = runtime.backbone(base, lease.device())) {
        defaultLayers.putIfAbsent(base.ref(), backbone.get().defaultLayer());
        List<ModelInput> all = DynamicBatcher.concat(parts);
        float[][] features = engine(base, all.size(), () -> backbone.get().extract(all, request));
        List<float[][]> out = DynamicBatcher.split(parts, features);
        Map<String, List<Integer>> byHead = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
          if (parts.get(i).tag() != null) {
            byHead.computeIfAbsent(parts.get(i).tag(), k -> new ArrayList<>()).add(i);
          }
        }
        byHead.forEach((ref, indices) -> runHead(models.get(ref), lease, parts, out, indices));
        return out;
      }
    };
  }

  /** Replaces the features of {@code indices} in {@code out} by the outputs of one head. */
  private void runHead(ModelRecord model, InferenceLease lease, List<DynamicBatcher.Part> parts, List<float[][]> out,
      List<Integer> indices) {
    List<DynamicBatcher.Part> mine = indices.stream().map(parts::get).toList();
    List<ModelInput> inputs = DynamicBatcher.concat(mine);
    float[][] rows = new float[inputs.size()][];
    int from = 0;
    for (int i : indices) {
      System.arraycopy(out.get(i), 0, rows, from, out.get(i).length);
      from += out.get(i).length;
    }
    try (Loaded<TrainedModel> trained = runtime.trained(model, lease.device())) {
      if (!(trained.get() instanceof FeatureHead head)) {
        throw GraftException.internal("NOT_A_FEATURE_HEAD", "model " + model.ref() + " is not a head on its backbone", null);
      }
      float[][] outputs = Spans.within(tracer.spanBuilder("graft.head").setAttribute("graft.model", model.ref())
          .setAttribute("graft.inputs", inputs.size()).startSpan(), () -> head.predictFeatures(inputs, rows));
      List<float[][]> split = DynamicBatcher.split(mine, outputs);
      for (int k = 0; k < indices.size(); k++) {
        out.set(indices.get(k), split.get(k));
      }
    }
  }

  private ModelRecord baseOf(ModelRecord model) {
    return model.kind() == ModelKind.BASE ? model : models.get(model.baseModel());
  }

  /** One engine call over a merged batch: counted and traced. */
  private float[][] engine(ModelRecord model, int inputs, Supplier<float[][]> call) {
    metrics.batch(inputs);
    return Spans.within(tracer.spanBuilder("graft.engine").setAttribute("graft.model", model.ref())
        .setAttribute("graft.inputs", inputs).startSpan(), call);
  }

  /** The model record a reference resolves to (for label names and task). */
  public ModelRecord model(String ref) {
    return models.get(ref);
  }

  private ModelRecord resolve(String ref, List<ModelInput> inputs) {
    if (ref == null || ref.isBlank()) {
      throw GraftException.invalidArgument("model", "MISSING_FIELD", "model is required");
    }
    if (inputs.isEmpty()) {
      throw GraftException.invalidArgument("inputs", "EMPTY_INPUTS", "inputs must hold at least one input");
    }
    if (inputs.size() > limits.maxInputsPerRequest()) {
      throw GraftException.invalidArgument("inputs", "TOO_MANY_INPUTS", "inputs holds " + inputs.size()
          + " inputs; the limit is " + limits.maxInputsPerRequest() + " per request (use StreamExtract/StreamPredict)");
    }
    ModelRecord model = models.get(ref);
    DomainPlugin domain = runtime.domainOf(model);
    for (int i = 0; i < inputs.size(); i++) {
      domain.validate(inputs.get(i), "inputs[" + i + "]");
    }
    return model;
  }

  private InferenceLease lease() {
    String pool = scheduler.defaultPool();
    long start = System.nanoTime();
    Span span = tracer.spanBuilder("graft.inference.slot_wait").setAttribute("graft.pool", pool).startSpan();
    try {
      InferenceLease lease = scheduler.acquireInference(pool, SLOT_WAIT);
      span.setAttribute("graft.device", lease.device().id());
      metrics.slotWait(pool, System.nanoTime() - start);
      return lease;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw GraftException.cancelled("INTERRUPTED", "the call was interrupted while waiting for a device");
    } finally {
      span.end();
    }
  }

  /** Per-input vectors from one model. */
  public record Result(String model, float[][] vectors, String layer) {}

  /**
   * Limits on inference requests: inputs per request; inputs per merged engine call; engine calls
   * per model at once.
   */
  public record InferenceLimits(int maxInputsPerRequest, int maxBatch, int parallelism) {}
}
