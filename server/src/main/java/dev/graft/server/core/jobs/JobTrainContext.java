package dev.graft.server.core.jobs;

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
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** The server's {@link TrainContext} for one job run. Immutable apart from what it points to. */
record JobTrainContext(
    String jobId,
    Backbone backbone,
    BaseModel baseModel,
    TaskSpec task,
    List<Example> trainSet,
    List<Example> validationSet,
    Hyperparameters hyperparameters,
    Device device,
    ProgressListener progress,
    CancellationToken cancellation,
    Path outputDirectory,
    Path checkpointDirectory,
    FeatureCache cache,
    Optional<String> dataKey)
    implements TrainContext {

  @Override
  public float[][] cachedFeatures(String split, FeatureRequest request, Supplier<float[][]> compute) {
    if (dataKey.isEmpty()) {
      return compute.get(); // inline examples: nothing stable to key a cache on
    }
    return cache.get(FeatureCache.key(baseModel.name(), dataKey.get(), split, request), compute);
  }
}
