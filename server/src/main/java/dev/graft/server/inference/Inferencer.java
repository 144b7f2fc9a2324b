package dev.graft.server.inference;

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
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.TrainedModel;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
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
 * Measured ({@link InferenceMetrics}) and traced: inside each merged batch's span, the wait for
 * a slot ({@code graft.inference.slot_wait}) and the engine call ({@code graft.engine}) are spans.
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
    String key = "extract|" + model.ref() + "|" + request;
    float[][] features = batcher.run(key, inputs, batch -> {
      try (InferenceLease lease = lease(); Loaded<Backbone> backbone = runtime.backbone(model, lease.device())) {
        defaultLayers.putIfAbsent(model.ref(), backbone.get().defaultLayer());
        return engine(model, batch.size(), () -> backbone.get().extract(batch, request));
      }
    });
    metrics.request("extract", model.ref(), inputs.size(), System.nanoTime() - start);
    String layer = request.layer().isEmpty() ? defaultLayers.get(model.ref()) : request.layer();
    return new Result(model.ref(), features, layer);
  }

  /** Outputs of a trained model: class probabilities in label order, or values. */
  public Result predict(String modelRef, List<ModelInput> inputs) {
    long start = System.nanoTime();
    ModelRecord model = resolve(modelRef, inputs);
    float[][] outputs = batcher.run("predict|" + model.ref(), inputs, batch -> {
      try (InferenceLease lease = lease(); Loaded<TrainedModel> trained = runtime.trained(model, lease.device())) {
        return engine(model, batch.size(), () -> trained.get().predict(batch));
      }
    });
    metrics.request("predict", model.ref(), inputs.size(), System.nanoTime() - start);
    return new Result(model.ref(), outputs, "");
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
