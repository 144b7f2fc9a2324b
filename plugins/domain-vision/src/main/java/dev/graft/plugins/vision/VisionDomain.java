package dev.graft.plugins.vision;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.SpiVersion;
import java.util.Set;

/**
 * The vision domain: images (PNG, JPEG, BMP, GIF) and uint8 pixel tensors. It registers and
 * validates its input kinds today; its backbones (converted ImageNet networks, imported ONNX and
 * TorchScript models) are not built yet, so opening one answers UNIMPLEMENTED with the reason.
 * Thread-safe (stateless).
 */
public final class VisionDomain implements DomainPlugin {

  @Override
  public String id() {
    return "vision";
  }

  @Override
  public SpiVersion spiVersion() {
    return new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR);
  }

  @Override
  public Set<InputKind> inputKinds() {
    return Set.of(InputKind.IMAGE, InputKind.TENSOR);
  }

  @Override
  public Backbone openBackbone(BaseModel model, Device device) {
    throw GraftException.unimplemented("VISION_BACKBONES_UNAVAILABLE",
        "the vision domain cannot open " + model.format() + " model " + model.name()
            + " yet: vision backbones are not implemented in this version");
  }
}
