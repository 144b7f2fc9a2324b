package dev.graft.plugins.vision.torchscript;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.spi.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * A TorchScript module as a DJL block that yields one feature vector per image: the module's
 * first output, pooled over space (mean, or max) when it is a feature map [N, C, H, W], or taken
 * as is when it is [N, D]. The module stays in inference mode (batch norms use their stored
 * statistics, dropout is off) also while it trains: a training pass only records gradients.
 * The block's own parameters are views of the module's (same tensors, with shapes, named as in
 * the module); every one is registered with the caller's {@link ParameterStore} on each pass, so
 * that a store-driven optimizer updates them (in place, in the module).
 *
 * <p>Thread-safety: inference passes may run concurrently; one thread trains. Ownership: the
 * module belongs to the manager it was loaded into.
 */
final class ScriptedBlock extends AbstractBlock {
  private final PtSymbolBlock module;
  private final boolean poolMax;
  private final List<Parameter> parameters;

  ScriptedBlock(PtSymbolBlock module, boolean poolMax) {
    super((byte) 1);
    this.module = module;
    this.poolMax = poolMax;
    List<Parameter> views = new ArrayList<>();
    for (Parameter original : module.getDirectParameters().values()) {
      Parameter view = Parameter.builder().setName(original.getName())
          .setType(original.getName().endsWith("bias") ? Parameter.Type.BIAS
              : Parameter.Type.WEIGHT)
          .build();
      view.setArray(original.getArray());
      views.add(addParameter(view));
    }
    this.parameters = List.copyOf(views);
    JniUtils.enableInferenceMode(module);
  }

  /** The module's parameters in its own order (bottom → top for a sequential network). */
  List<Parameter> moduleParameters() {
    return parameters;
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
      PairList<String, Object> params) {
    Device device = inputs.head().getDevice();
    for (Parameter p : parameters) {
      store.getValue(p, device, training);
    }
    NDList out = IValueUtils.forward(module, inputs, training);
    if (out.isEmpty()) {
      throw unsupported("it returned nothing");
    }
    return new NDList(pool(out.head()));
  }

  private NDArray pool(NDArray y) {
    Shape s = y.getShape();
    NDArray f = y.getDataType() == DataType.FLOAT32 ? y : y.toType(DataType.FLOAT32, false);
    if (s.dimension() == 4) {
      NDArray positions = f.reshape(s.get(0), s.get(1), -1); // PyTorch arrays reduce one axis
      return poolMax ? positions.max(new int[] {2}) : positions.mean(new int[] {2});
    }
    if (s.dimension() == 2) {
      return f;
    }
    throw unsupported("its output is " + s + ", not [N, C, H, W] or [N, D]");
  }

  private static GraftException unsupported(String why) {
    return GraftException.failedPrecondition("UNSUPPORTED_MODEL_OUTPUT",
        "a TorchScript vision backbone must return a feature map [N, C, H, W] or features"
            + " [N, D] first; " + why);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    throw new UnsupportedOperationException("run a forward pass to learn the output shape");
  }

  @Override
  protected void initializeChildBlocks(ai.djl.ndarray.NDManager manager, DataType dataType,
      Shape... inputShapes) {
    // no child blocks: the module's parameters come initialised from the file
  }
}
