package dev.graft.plugins.finetuning;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.ModelInput;
import dev.graft.spi.TrainableBackbone;
import java.util.List;
import java.util.Map;

/** A backbone that delegates everything and remembers the last trainable copy it opened. */
final class CapturingBackbone implements Backbone {
  private final Backbone delegate;
  volatile TrainableBackbone opened;

  CapturingBackbone(Backbone delegate) {
    this.delegate = delegate;
  }

  @Override public List<String> layers() { return delegate.layers(); }
  @Override public int dimension() { return delegate.dimension(); }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    return delegate.extract(inputs, request);
  }

  @Override
  public TrainableBackbone openTrainable(Device device, Map<String, String> options) {
    opened = delegate.openTrainable(device, options);
    return opened;
  }

  @Override
  public void close() {}
}
