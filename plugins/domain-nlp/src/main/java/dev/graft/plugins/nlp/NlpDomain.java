package dev.graft.plugins.nlp;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import java.util.List;
import java.util.Set;

/**
 * The text domain: accepts {@link InputKind#TEXT} inputs and opens BERT-family ONNX encoders
 * (on DJL's OnnxRuntime engine) as backbones. Ships all-MiniLM-L6-v2 as the built-in model
 * {@code minilm-l6}.
 *
 * <p>Thread-safety: stateless, safe from any thread. Ownership: each {@link #openBackbone} result
 * belongs to the caller, who closes it.
 */
public final class NlpDomain implements DomainPlugin {

  /** The stored format this domain opens. */
  public static final String FORMAT_ONNX = "onnx";

  /** Creates the plugin (called by {@link java.util.ServiceLoader}). */
  public NlpDomain() {}

  @Override
  public String id() {
    return "nlp";
  }

  @Override
  public Set<InputKind> inputKinds() {
    return Set.of(InputKind.TEXT);
  }

  @Override
  public List<BuiltinModel> builtinModels() {
    return BuiltinEncoders.all();
  }

  /**
   * Opens an {@code onnx} text encoder from {@code model.directory()} ({@code model.onnx} and
   * {@code tokenizer.json}).
   *
   * @throws GraftException UNIMPLEMENTED (UNSUPPORTED_MODEL_FORMAT) for any other format;
   *     FAILED_PRECONDITION when the files or properties are unusable; INTERNAL when the engine
   *     fails to load the model
   */
  @Override
  public Backbone openBackbone(BaseModel model, Device device) {
    if (!FORMAT_ONNX.equalsIgnoreCase(model.format())) {
      throw GraftException.unimplemented(
          "UNSUPPORTED_MODEL_FORMAT",
          "domain 'nlp' opens format '" + FORMAT_ONNX + "' models; '" + model.name()
              + "' is '" + model.format() + "'");
    }
    return OnnxTextEncoder.open(model, device);
  }
}
