package dev.graft.plugins.vision;

import ai.djl.ndarray.NDManager;
import dev.graft.plugins.vision.block.ConvertedBlock;
import dev.graft.plugins.vision.effnet.EfficientNetArchitecture;
import dev.graft.plugins.vision.effnet.EfficientNetBlock;
import dev.graft.plugins.vision.image.InputProperties;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.plugins.vision.torch.TorchFormatException;
import dev.graft.plugins.vision.torch.TorchStateDict;
import dev.graft.plugins.vision.torch.TorchTensor;
import dev.graft.spi.BaseModel;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A stored {@code torch-state-dict} base model read into memory: a PyTorch state dict (read by
 * {@link TorchStateDict}, no Python) for a known architecture, the input it expects and its
 * feature layers. Manifest properties: {@code architecture} (required:
 * {@code efficientnet-lite0} … {@code efficientnet-lite4}, lukemelas/EfficientNet-PyTorch
 * parameter names), {@code weights_file} (default: {@code model.torch-state-dict} as ImportModel
 * stores the file, else the only {@code .pth}/{@code .pt} file),
 * {@code input_size} (default 224), {@code input_crop} (1), {@code input_scale} (1),
 * {@code input_mean} and {@code input_std} (comma-separated per channel; defaults
 * 127,127,127 and 128,128,128 — EfficientNet-Lite's TensorFlow preprocessing, pixels to [-1, 1]).
 *
 * <p>Immutable; safe to share (the weight arrays are never changed).
 */
final class StateDictNetwork implements ConvertedSource {
  private final String name;
  private final EfficientNetArchitecture architecture;
  private final Map<String, TorchTensor> weights;
  private final InputSpec spec;

  private StateDictNetwork(String name, EfficientNetArchitecture architecture,
      Map<String, TorchTensor> weights, InputSpec spec) {
    this.name = name;
    this.architecture = architecture;
    this.weights = weights;
    this.spec = spec;
  }

  /**
   * Reads and checks the model (every weight of the architecture must be present and shaped).
   *
   * @throws GraftException FAILED_PRECONDITION when the file is missing or unreadable, the
   *     architecture unknown or the state dict does not fit it
   */
  /** EfficientNet-Lite's own preprocessing: 224×224 RGB, (x − 127) / 128. */
  private static final InputSpec TF_LITE_INPUT = new InputSpec(224, 3, 1, 1f,
      new float[] {127, 127, 127}, new float[] {128, 128, 128});

  static StateDictNetwork open(BaseModel base) {
    String arch = base.property("architecture", "");
    try {
      EfficientNetArchitecture architecture = EfficientNetArchitecture.named(arch);
      InputSpec spec = InputProperties.spec(base, TF_LITE_INPUT);
      Map<String, TorchTensor> weights = TorchStateDict.read(weightsFile(base));
      new EfficientNetBlock(architecture, EfficientNetArchitecture.HEAD, false, false)
          .check(weights);
      return new StateDictNetwork(base.name(), architecture, weights, spec);
    } catch (TorchFormatException e) {
      throw GraftException.failedPrecondition(e.reason() == null ? "UNSUPPORTED_NETWORK"
          : e.reason(), base.name() + " is not a readable torch state dict: " + e.getMessage());
    } catch (java.io.EOFException | java.util.zip.ZipException e) {
      throw GraftException.failedPrecondition("UNSUPPORTED_NETWORK",
          base.name() + " is not a readable torch state dict: " + e.getMessage());
    } catch (java.nio.file.NoSuchFileException e) {
      throw GraftException.failedPrecondition("MODEL_FILE_MISSING",
          "cannot find the weights of " + base.name() + ": " + describe(e));
    } catch (IOException e) {
      throw GraftException.failedPrecondition("UNREADABLE_MODEL",
          "cannot read the files of " + base.name() + ": " + describe(e));
    } catch (IllegalArgumentException e) {
      throw GraftException.failedPrecondition("BAD_MODEL_PROPERTIES",
          base.name() + " (architecture '" + arch + "') cannot be opened: " + e.getMessage());
    }
  }

  /** What went wrong, naming a file by its name only (never the store's path). */
  private static String describe(IOException e) {
    if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
      return e.getClass().getSimpleName() + " on " + Path.of(f.getFile()).getFileName();
    }
    return e.getClass().getSimpleName();
  }

  private static Path weightsFile(BaseModel base) throws IOException {
    String configured = base.property("weights_file", "");
    if (!configured.isEmpty()) {
      Path f = base.directory().resolve(configured).normalize();
      if (!f.startsWith(base.directory().normalize())) {
        throw new IllegalArgumentException("weights_file must name a file of the model");
      }
      return f;
    }
    Path imported = base.directory().resolve("model." + base.format());
    if (Files.isRegularFile(imported)) {
      return imported;
    }
    try (Stream<Path> files = Files.list(base.directory())) {
      List<Path> found = files.filter(f -> {
        String n = f.getFileName().toString();
        return n.endsWith(".pth") || n.endsWith(".pt");
      }).toList();
      if (found.size() != 1) {
        throw new IllegalArgumentException("expected one .pth or .pt file, found "
            + found.size() + " (set the property weights_file)");
      }
      return found.get(0);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public InputSpec spec() {
    return spec;
  }

  @Override
  public List<String> layers() {
    return architecture.layers();
  }

  @Override
  public int dimension() {
    return dimension(layers().get(0));
  }

  @Override
  public String parameterFormat() {
    return "graft-torch-params/1";
  }

  @Override
  public ConvertedBlock newBlock(NDManager manager, String layer, boolean poolMax,
      boolean trainBatchNorm, long seed) {
    EfficientNetBlock block = new EfficientNetBlock(architecture, layer, poolMax, trainBatchNorm);
    block.initialize(manager, weights, seed);
    return block;
  }

  /** The width of the pooled features of the layer {@code layer}. */
  private int dimension(String layer) {
    return new EfficientNetBlock(architecture, layer, false, false).dimension();
  }
}
