package dev.graft.plugins.finetuning;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.ModelInput;
import dev.graft.spi.ParameterGroup;
import dev.graft.spi.TrainableBackbone;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backbone that delegates everything, remembers every trainable copy it opened (to check that
 * each was closed), and can make the next copies diverge ({@link PoisonedBlock}). Thread-safe.
 */
final class ProbedBackbone implements Backbone {
  private final Backbone delegate;
  final List<TrainableBackbone> opened = new CopyOnWriteArrayList<>();
  /** Healthy training passes of the copies opened from now on; negative: never poisoned. */
  volatile int poisonAfter = -1;

  ProbedBackbone(Backbone delegate) {
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
    TrainableBackbone copy = delegate.openTrainable(device, options);
    opened.add(copy);
    int healthy = poisonAfter;
    return healthy < 0 ? copy : new Poisoned(copy, new PoisonedBlock(copy.block(), healthy));
  }

  @Override
  public void close() {}

  /** A trainable copy whose block is poisoned; the rest is the copy's. */
  private record Poisoned(TrainableBackbone copy, Block block) implements TrainableBackbone {
    @Override public NDManager manager() { return copy.manager(); }
    @Override public int dimension() { return copy.dimension(); }
    @Override public List<ParameterGroup> groups() { return copy.groups(); }
    @Override public NDList inputs(NDManager m, List<ModelInput> in) { return copy.inputs(m, in); }

    @Override
    public NDList inputs(NDManager m, List<ModelInput> in, boolean training) {
      return copy.inputs(m, in, training);
    }

    @Override public Map<String, String> options() { return copy.options(); }
    @Override public void saveParameters(OutputStream out) throws java.io.IOException {
      copy.saveParameters(out);
    }
    @Override public void loadParameters(InputStream in) throws java.io.IOException {
      copy.loadParameters(in);
    }
    @Override public void close() { copy.close(); }
  }
}
