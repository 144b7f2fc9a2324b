package dev.graft.plugins.vision.onnx;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import dev.graft.plugins.vision.ImageBatches;
import dev.graft.plugins.vision.OutputProbe;
import dev.graft.plugins.vision.image.InputProperties;
import dev.graft.plugins.vision.image.InputSpec;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * An ONNX image model on ONNX Runtime as an inference-only backbone: images are preprocessed to
 * the model's input ({@code input_height} × {@code input_width}, or {@code input_size}, else the
 * ONNX input's fixed shape; {@code input_scale}, {@code input_mean}, {@code input_std} as for
 * converted networks) and the model's first output, pooled over space when it is an image
 * ([N, C, H, W] → [N, C] by mean or max) or over positions ([N, T, C] → [N, C]), is the feature
 * vector. A model whose batch dimension is fixed at 1 (found by the probe pass at open, whose
 * features must be finite: {@link OutputProbe}) runs one image at a time. It cannot be trained
 * ({@link #openTrainable} refuses, as the SPI's default does).
 *
 * <p>Thread-safety: {@link #extract} may run concurrently (one predictor per call). Ownership: the
 * opener closes it, which closes the ONNX Runtime session.
 */
public final class OnnxVisionBackbone implements Backbone {
  /** The model file ImportModel writes for format {@code onnx}. */
  public static final String MODEL_FILE = "model.onnx";
  private static final int CHUNK = 32;

  private final String name;
  private final ZooModel<NDList, NDList> model;
  private final ImageBatches batches;
  private final boolean singleBatch;
  private final String output;
  private final int dimension;

  private OnnxVisionBackbone(String name, ZooModel<NDList, NDList> model, InputSpec spec,
      String output) {
    this.name = name;
    this.model = model;
    this.batches = new ImageBatches(spec);
    this.output = output;
    ModelInput image = OutputProbe.image(spec);
    boolean single;
    float[][] probe;
    try {
      probe = run(List.of(image, image), false, false);
      single = false;
    } catch (GraftException e) {
      probe = run(List.of(image), false, true); // a model whose batch is fixed at 1
      single = true;
    }
    OutputProbe.requireFinite(probe[0], name);
    this.singleBatch = single;
    this.dimension = probe[0].length;
  }

  /**
   * Opens {@code model.onnx} of {@code base} on ONNX Runtime.
   *
   * @throws GraftException FAILED_PRECONDITION when the file is missing, not an image model
   *     ([N, C, H, W] input) or its input size is unknown and not given
   */
  public static OnnxVisionBackbone open(BaseModel base, Device device) {
    Path file = base.directory().resolve(MODEL_FILE);
    if (!Files.isRegularFile(file)) {
      throw GraftException.failedPrecondition("MODEL_FILE_MISSING", base.name() + " has no "
          + MODEL_FILE);
    }
    Engine.getEngine("OnnxRuntime");
    ZooModel<NDList, NDList> model;
    try {
      model = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(file)
          .optEngine("OnnxRuntime").optDevice(device).build().loadModel();
    } catch (IOException | ModelNotFoundException | MalformedModelException
        | RuntimeException e) {
      throw GraftException.failedPrecondition("UNREADABLE_MODEL", "ONNX Runtime cannot load "
          + base.name() + ": " + e.getMessage());
    }
    try {
      PairList<String, Shape> inputs = describe(model, true);
      if (inputs != null && inputs.size() != 1) {
        throw GraftException.failedPrecondition("NOT_AN_IMAGE_MODEL", base.name()
            + " must have one input [N, C, H, W]; it has " + inputs.keys());
      }
      Shape in = inputs == null || inputs.get(0).getValue() == null ? null
          : inputs.get(0).getValue();
      if (in != null && in.dimension() != 4) {
        throw GraftException.failedPrecondition("NOT_AN_IMAGE_MODEL", base.name()
            + " must have one input [N, C, H, W]; it has " + in);
      }
      int channels = Integer.parseInt(base.property("input_channels",
          in != null && in.get(1) > 0 ? Long.toString(in.get(1)) : "3"));
      int size = Integer.parseInt(base.property("input_size", "0"));
      int height = Integer.parseInt(base.property("input_height",
          Long.toString(size > 0 ? size : in == null ? -1 : in.get(2))));
      int width = Integer.parseInt(base.property("input_width",
          Long.toString(size > 0 ? size : in == null ? -1 : in.get(3))));
      if (height <= 0 || width <= 0) {
        throw GraftException.failedPrecondition("INPUT_SIZE_UNKNOWN", base.name()
            + " does not declare a fixed input size; give the properties input_size (or"
            + " input_height and input_width)");
      }
      InputSpec spec = new InputSpec(height, width, channels,
          Double.parseDouble(base.property("input_crop", "1")),
          Float.parseFloat(base.property("input_scale", Float.toString(1f / 255))),
          InputProperties.floats(base.property("input_mean", ""), channels, 0f),
          InputProperties.floats(base.property("input_std", ""), channels, 1f));
      PairList<String, Shape> outputs = describe(model, false);
      String output = outputs == null || outputs.isEmpty() ? "output" : outputs.get(0).getKey();
      return new OnnxVisionBackbone(base.name(), model, spec, output);
    } catch (GraftException e) {
      model.close();
      throw e;
    } catch (RuntimeException e) {
      model.close();
      throw GraftException.failedPrecondition("BAD_MODEL_PROPERTIES", base.name()
          + " cannot be used as an image backbone: " + e.getMessage());
    }
  }

  /** The model's declared inputs or outputs, or null when the engine cannot say. */
  private static PairList<String, Shape> describe(ZooModel<NDList, NDList> model, boolean input) {
    try {
      return input ? model.describeInput() : model.describeOutput();
    } catch (UnsupportedOperationException e) {
      return null;
    }
  }

  @Override
  public List<String> layers() {
    return List.of(output);
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    if (!request.layer().isEmpty() && !request.layer().equals(output)) {
      throw GraftException.invalidArgument("layer", "UNKNOWN_LAYER", "an ONNX image backbone"
          + " gives its output '" + output + "' only; '" + request.layer() + "' is not available");
    }
    if (request.pooling() == Pooling.CLS) {
      throw GraftException.invalidArgument("pooling", "UNSUPPORTED_POOLING",
          "an image backbone pools by mean or max, not cls");
    }
    batches.checkBudget(inputs, 0);
    float[][] out = run(inputs, request.pooling() == Pooling.MAX, singleBatch);
    if (request.normalize()) {
      for (float[] v : out) {
        double norm = 0;
        for (float x : v) {
          norm += x * x;
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int k = 0; k < v.length; k++) {
          v[k] *= inv;
        }
      }
    }
    return out;
  }

  /**
   * Features of {@code inputs}, decoded and preprocessed chunk by chunk (one image at a time).
   *
   * @throws GraftException as the decoder refuses an input; INTERNAL INFERENCE_FAILED when ONNX
   *     Runtime fails
   */
  private float[][] run(List<ModelInput> inputs, boolean max, boolean single) {
    int step = single ? 1 : CHUNK;
    float[][] out = new float[inputs.size()][];
    try (Predictor<NDList, NDList> predictor = model.newPredictor();
        NDManager manager = model.getNDManager().newSubManager()) {
      for (int start = 0; start < inputs.size(); start += step) {
        List<ModelInput> chunk = inputs.subList(start, Math.min(inputs.size(), start + step));
        try (NDManager scope = manager.newSubManager()) {
          NDArray x = batches.array(scope, chunk, start, null);
          NDArray y = predictor.predict(new NDList(x)).get(0);
          float[][] pooled = pool(y.toFloatArray(), y.getShape(), max);
          System.arraycopy(pooled, 0, out, start, pooled.length);
        }
      }
    } catch (GraftException e) {
      throw e;
    } catch (TranslateException | RuntimeException e) {
      throw GraftException.internal("INFERENCE_FAILED", name + " failed: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * One vector per batch row: [N, C, H, W] pooled over H·W, [N, T, C] over T, otherwise the row
   * flattened. Done on the host: ONNX Runtime arrays support few operations.
   */
  static float[][] pool(float[] y, Shape s, boolean max) {
    int n = (int) s.get(0);
    int per = y.length / n;
    int channels;
    int positions;
    int channelStride;
    int positionStride;
    if (s.dimension() == 4) {
      channels = (int) s.get(1);
      positions = (int) (s.get(2) * s.get(3));
      channelStride = positions;
      positionStride = 1;
    } else if (s.dimension() == 3) {
      positions = (int) s.get(1);
      channels = (int) s.get(2);
      channelStride = 1;
      positionStride = channels;
    } else {
      float[][] rows = new float[n][];
      for (int i = 0; i < n; i++) {
        rows[i] = Arrays.copyOfRange(y, i * per, (i + 1) * per);
      }
      return rows;
    }
    float[][] rows = new float[n][channels];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < channels; c++) {
        double acc = max ? Double.NEGATIVE_INFINITY : 0;
        for (int p = 0; p < positions; p++) {
          float v = y[i * per + c * channelStride + p * positionStride];
          acc = max ? Math.max(acc, v) : acc + v;
        }
        rows[i][c] = (float) (max ? acc : acc / positions);
      }
    }
    return rows;
  }

  @Override
  public void close() {
    model.close();
  }
}
