package dev.graft.plugins.trainingkit.testing;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.CancellationToken;
import dev.graft.spi.Example;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.Hyperparameters;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ProgressListener;
import dev.graft.spi.TaskSpec;
import dev.graft.spi.TrainContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A {@link TrainContext} for tests over a real backbone: its own output folder, checkpoints
 * under {@code root/checkpoints/<job>}, a recording listener with an optional per-step hook and a
 * cancellation flag any thread may set.
 */
public final class TextContext implements TrainContext, ProgressListener {
  public final String job;
  public final Backbone backbone;
  public final BaseModel base;
  public final TaskSpec task;
  public final List<Example> train;
  public final List<Example> validation;
  public final Hyperparameters hyperparameters;
  public final Path output;
  public final Path checkpoints;
  public final AtomicBoolean cancelled = new AtomicBoolean();
  public final List<List<MetricValue>> epochs = new CopyOnWriteArrayList<>();
  public final List<String> messages = new CopyOnWriteArrayList<>();
  public final List<Long> steps = new CopyOnWriteArrayList<>();
  public volatile LongConsumer onStep = s -> {};

  public TextContext(Path root, String job, Backbone backbone, BaseModel base, TaskSpec task,
      List<Example> train, List<Example> validation, Hyperparameters hyperparameters)
      throws IOException {
    this.job = job;
    this.backbone = backbone;
    this.base = base;
    this.task = task;
    this.train = train;
    this.validation = validation;
    this.hyperparameters = hyperparameters;
    this.output = Files.createDirectories(root.resolve("out-" + job));
    this.checkpoints = Files.createDirectories(root.resolve("checkpoints").resolve(job));
  }

  @Override public String jobId() { return job; }
  @Override public Backbone backbone() { return backbone; }
  @Override public BaseModel baseModel() { return base; }
  @Override public TaskSpec task() { return task; }
  @Override public List<Example> trainSet() { return train; }
  @Override public List<Example> validationSet() { return validation; }
  @Override public Hyperparameters hyperparameters() { return hyperparameters; }
  @Override public Device device() { return Device.cpu(); }
  @Override public ProgressListener progress() { return this; }
  @Override public CancellationToken cancellation() { return cancelled::get; }
  @Override public Path outputDirectory() { return output; }
  @Override public Path checkpointDirectory() { return checkpoints; }

  @Override
  public float[][] cachedFeatures(String split, FeatureRequest request, Supplier<float[][]> c) {
    return c.get();
  }

  @Override
  public void onStep(int epoch, int totalEpochs, long step, long totalSteps, double loss) {
    steps.add(step);
    onStep.accept(step);
  }

  @Override
  public void onEpoch(int epoch, int totalEpochs, List<MetricValue> metrics) {
    epochs.add(List.copyOf(metrics));
  }

  @Override
  public void onMessage(String message) {
    messages.add(message);
  }

  public static double metric(List<MetricValue> metrics, String name, String split) {
    return metrics.stream().filter(m -> m.name().equals(name) && m.split().equals(split))
        .mapToDouble(MetricValue::value).findFirst().orElse(Double.NaN);
  }
}
