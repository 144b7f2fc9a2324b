package dev.graft.plugins.featureextraction;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.ProgressListener;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A {@link TrainContext} for tests: temp folders, a recording listener, a cancellation flag any
 * thread may set and a feature cache (shared between contexts made with {@link #withCache})
 * that counts its misses per split.
 */
final class TestTrainContext implements TrainContext {
  final Backbone backbone;
  final TaskSpec task;
  final List<Example> train;
  final List<Example> validation;
  final Hyperparameters hyperparameters;
  final RecordingProgress progress = new RecordingProgress();
  final AtomicBoolean cancelled = new AtomicBoolean();
  final Map<String, float[][]> cache;
  final Map<String, AtomicInteger> misses;
  final Path output;
  final Path checkpoints;

  TestTrainContext(
      Path root,
      Backbone backbone,
      TaskSpec task,
      List<Example> train,
      List<Example> validation,
      Hyperparameters hyperparameters) throws IOException {
    this(root, backbone, task, train, validation, hyperparameters,
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
  }

  private TestTrainContext(
      Path root,
      Backbone backbone,
      TaskSpec task,
      List<Example> train,
      List<Example> validation,
      Hyperparameters hyperparameters,
      Map<String, float[][]> cache,
      Map<String, AtomicInteger> misses) throws IOException {
    this.backbone = backbone;
    this.task = task;
    this.train = train;
    this.validation = validation;
    this.hyperparameters = hyperparameters;
    this.cache = cache;
    this.misses = misses;
    Files.createDirectories(root);
    this.output = Files.createTempDirectory(root, "out");
    this.checkpoints = Files.createTempDirectory(root, "ckpt");
  }

  /** A fresh context (new output folder, listener and flag) sharing this one's feature cache. */
  TestTrainContext withCache(Path root, Hyperparameters other) throws IOException {
    return new TestTrainContext(root, backbone, task, train, validation, other, cache, misses);
  }

  int misses(String split) {
    AtomicInteger n = misses.get(split);
    return n == null ? 0 : n.get();
  }

  @Override
  public String jobId() {
    return "job-test";
  }

  @Override
  public Backbone backbone() {
    return backbone;
  }

  @Override
  public BaseModel baseModel() {
    return new BaseModel("fake@1", output, "none", Map.of());
  }

  @Override
  public TaskSpec task() {
    return task;
  }

  @Override
  public List<Example> trainSet() {
    return train;
  }

  @Override
  public List<Example> validationSet() {
    return validation;
  }

  @Override
  public Hyperparameters hyperparameters() {
    return hyperparameters;
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  @Override
  public ProgressListener progress() {
    return progress;
  }

  @Override
  public CancellationToken cancellation() {
    return cancelled::get;
  }

  @Override
  public Path outputDirectory() {
    return output;
  }

  @Override
  public Path checkpointDirectory() {
    return checkpoints;
  }

  @Override
  public float[][] cachedFeatures(
      String split, FeatureRequest request, Supplier<float[][]> compute) {
    String key = split + "|" + request;
    float[][] hit = cache.get(key);
    if (hit != null) {
      return hit;
    }
    misses.computeIfAbsent(split, k -> new AtomicInteger()).incrementAndGet();
    float[][] features = compute.get();
    cache.put(key, features);
    return features;
  }
}
