package dev.graft.plugins.conformance;

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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A {@link TrainContext} for tests, on the CPU: the fixture's data and backbone, a fresh output
 * folder, checkpoints under {@code root/checkpoints/<job>}, a listener that records what it is
 * told and runs the hook of {@link #afterEachStep} after each step, and a cancellation flag any
 * thread may set with {@link #cancel()}. Features are computed, never cached.
 */
public final class RecordingTrainContext implements TrainContext, ProgressListener {
  private final String job;
  private final StrategyFixture fixture;
  private final Hyperparameters hyperparameters;
  private final Path output;
  private final Path checkpoints;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final AtomicLong steps = new AtomicLong();
  private final List<List<MetricValue>> epochs = new CopyOnWriteArrayList<>();
  private volatile Runnable afterStep = () -> {};

  /** A context for job {@code job} whose folders are made under {@code root}. */
  public RecordingTrainContext(
      Path root, String job, StrategyFixture fixture, Hyperparameters hyperparameters)
      throws IOException {
    this.job = job;
    this.fixture = fixture;
    this.hyperparameters = hyperparameters;
    this.output = Files.createDirectories(root.resolve("out-" + job));
    this.checkpoints = Files.createDirectories(root.resolve("checkpoints").resolve(job));
  }

  /** Sets the flag {@link #cancellation()} reads. */
  public void cancel() {
    cancelled.set(true);
  }

  /** Runs {@code hook} on the training thread after each step is reported. */
  public void afterEachStep(Runnable hook) {
    afterStep = hook;
  }

  /** The number of steps reported. */
  public long steps() {
    return steps.get();
  }

  /** The metrics of each epoch reported, in order. */
  public List<List<MetricValue>> epochs() {
    return List.copyOf(epochs);
  }

  @Override
  public String jobId() {
    return job;
  }

  @Override
  public Backbone backbone() {
    return fixture.backbone();
  }

  @Override
  public BaseModel baseModel() {
    return fixture.baseModel();
  }

  @Override
  public TaskSpec task() {
    return fixture.task();
  }

  @Override
  public List<Example> trainSet() {
    return fixture.train();
  }

  @Override
  public List<Example> validationSet() {
    return fixture.validation();
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
    return this;
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
  public float[][] cachedFeatures(String split, FeatureRequest request, Supplier<float[][]> compute) {
    return compute.get();
  }

  @Override
  public void onStep(int epoch, int totalEpochs, long step, long totalSteps, double loss) {
    steps.incrementAndGet();
    afterStep.run();
  }

  @Override
  public void onEpoch(int epoch, int totalEpochs, List<MetricValue> metrics) {
    epochs.add(List.copyOf(metrics));
  }

  @Override
  public void onMessage(String message) {}
}
