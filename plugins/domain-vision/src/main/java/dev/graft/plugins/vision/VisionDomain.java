package dev.graft.plugins.vision;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.plugins.vision.image.ImageLimits;
import dev.graft.plugins.vision.image.PixelBudget;
import dev.graft.plugins.vision.onnx.OnnxVisionBackbone;
import dev.graft.plugins.vision.torchscript.ScriptedBackbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The vision domain: images (PNG, JPEG, BMP, GIF) and uint8 pixel tensors ([H, W] or [H, W, C]).
 * Opens Keras networks saved in the TF.js layers format ({@code tfjs-layers}: model.json plus
 * weight shards), converted into trainable DJL blocks on the PyTorch engine, and ships the
 * built-ins {@code mobilenet-v2} and {@code mobilenet-v2-96} when their files are in the assets
 * folder ({@code -Dgraft.assets}, else {@code $GRAFT_ASSETS}, else {@code ./assets}; filled by
 * {@code scripts/fetch-assets}). Opens PyTorch state dicts of a known architecture
 * ({@code torch-state-dict}, property {@code architecture=efficientnet-lite0}; read without
 * Python, trainable) and ships {@code efficientnet-lite0} and {@code efficientnet-lite0-96}
 * from the same folder. Also opens TorchScript image modules ({@code torchscript}: file
 * {@code model.torchscript}, a module taking [N, C, H, W] and returning a feature map or
 * [N, D] features) as trainable backbones on the PyTorch engine, and ONNX image models
 * ({@code onnx}) on ONNX Runtime as inference-only backbones (Extract, feature extraction).
 *
 * <p>Thread-safety: immutable, safe from any thread. Ownership: each {@link #openBackbone} result
 * belongs to the caller, who closes it.
 */
public final class VisionDomain implements DomainPlugin {
  /** The stored format of converted Keras/TF.js networks. */
  public static final String FORMAT_TFJS = "tfjs-layers";
  /** The stored format of ONNX image models (inference-only backbones). */
  public static final String FORMAT_ONNX = "onnx";
  /** The stored format of TorchScript image modules (trainable backbones). */
  public static final String FORMAT_TORCHSCRIPT = "torchscript";
  /** The stored format of PyTorch state dicts of a known architecture (trainable). */
  public static final String FORMAT_TORCH = "torch-state-dict";

  private final Path assets;

  /** Creates the plugin (called by {@link java.util.ServiceLoader}); reads the assets folder setting. */
  public VisionDomain() {
    this(Path.of(System.getProperty("graft.assets",
        System.getenv().getOrDefault("GRAFT_ASSETS", "assets"))));
  }

  /** Creates the plugin with built-ins from {@code assets}. */
  public VisionDomain(Path assets) {
    this.assets = assets;
  }

  @Override
  public String id() {
    return "vision";
  }

  @Override
  public Set<InputKind> inputKinds() {
    return Set.of(InputKind.IMAGE, InputKind.TENSOR);
  }

  /** A TorchScript file is a program: importing one is allowed only where the operator says so. */
  @Override
  public Set<String> codeFormats() {
    return Set.of(FORMAT_TORCHSCRIPT);
  }

  /**
   * Checks an input before it is queued, without decoding it: the kind; for tensors the dtype,
   * shape and size; for encoded images the format (PNG, JPEG, BMP or GIF by their magic bytes),
   * that the bytes are not cut short, and the size their header declares — so bytes that are no
   * image, and images over {@link ImageLimits#MAX_IMAGE_PIXELS}, are refused naming
   * {@code field} (in training data {@code train.examples[i].input}) before any work is queued.
   * The per-call budget ({@link ImageLimits#MAX_REQUEST_PIXELS}) is the backbone's, which sees
   * the call's inputs together.
   */
  @Override
  public void validate(ModelInput input, String field) {
    DomainPlugin.super.validate(input, field);
    PixelBudget.pixels(input, field);
  }

  @Override
  public List<BuiltinModel> builtinModels() {
    return BuiltinNetworks.under(assets);
  }

  /**
   * Opens a {@code tfjs-layers}, {@code torch-state-dict}, {@code torchscript} or {@code onnx}
   * model from {@code model.directory()}.
   *
   * @throws GraftException UNIMPLEMENTED for other formats; FAILED_PRECONDITION when the files
   *     are missing, unreadable, hold a layer the converter does not support (named in the
   *     message), a module whose output is not image features, a TorchScript module whose
   *     code calls operators outside the audit's allow-list (FORBIDDEN_OPERATOR) or whose
   *     weights do not fit their stored data (STORAGE_TOO_SMALL), a state dict beyond the pickle
   *     reader's bounds (PICKLE_LIMIT), or a network whose features on the probe image are not
   *     finite (NON_FINITE_OUTPUT, see {@link OutputProbe})
   */
  @Override
  public Backbone openBackbone(BaseModel model, Device device) {
    if (FORMAT_TFJS.equalsIgnoreCase(model.format())) {
      return ConvertedBackbone.open(ConvertedNetwork.open(model), device);
    }
    if (FORMAT_TORCHSCRIPT.equalsIgnoreCase(model.format())) {
      return ScriptedBackbone.open(model, device);
    }
    if (FORMAT_ONNX.equalsIgnoreCase(model.format())) {
      return OnnxVisionBackbone.open(model, device);
    }
    if (FORMAT_TORCH.equalsIgnoreCase(model.format())) {
      return ConvertedBackbone.open(StateDictNetwork.open(model), device);
    }
    throw GraftException.unimplemented("UNSUPPORTED_MODEL_FORMAT",
        "domain 'vision' opens formats '" + FORMAT_TFJS + "' (Keras networks saved for TF.js;"
            + " trainable), '" + FORMAT_TORCH + "' (PyTorch state dicts of a known architecture;"
            + " trainable), '" + FORMAT_TORCHSCRIPT + "' (TorchScript modules; trainable) and '"
            + FORMAT_ONNX + "' (ONNX Runtime; inference only); '" + model.name() + "' is '"
            + model.format() + "'");
  }
}
