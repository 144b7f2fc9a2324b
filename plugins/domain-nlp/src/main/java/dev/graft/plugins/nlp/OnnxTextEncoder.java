package dev.graft.plugins.nlp;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.graft.plugins.nlp.bert.BertConfig;
import dev.graft.plugins.nlp.bert.BertWeights;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Pooling;
import dev.graft.spi.TrainableBackbone;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A BERT-family text encoder exported to ONNX (inputs {@code input_ids}, {@code attention_mask}
 * and optionally {@code token_type_ids}, int64; output {@code last_hidden_state} [b, s, h]), run
 * on DJL's OnnxRuntime engine with a Hugging Face tokenizer.
 *
 * <p>Thread-safety: {@link #extract} may be called from many threads at once; at most
 * {@code predictors} (property, default 2) engine calls run concurrently, the rest wait. Inputs
 * are tokenized, ordered by length and processed in chunks of at most {@value #CHUNK} texts of
 * similar length (each padded to its own longest, at most {@link #PADDING_BUDGET} positions per
 * real token), each chunk's tensors living in its own
 * {@link NDManager} scope closed right after. Ownership: the opener owns the encoder and calls
 * {@link #close} once, which waits for calls in flight and then releases the predictors, the
 * model and the tokenizer. Returned arrays belong to the caller.
 */
public final class OnnxTextEncoder implements Backbone {

  /** The model file in a model folder. */
  public static final String MODEL_FILE = "model.onnx";
  /** The Hugging Face tokenizer file in a model folder. */
  public static final String TOKENIZER_FILE = "tokenizer.json";
  /** Largest number of texts sent to the engine in one call. */
  public static final int CHUNK = 32;
  /**
   * Most padded positions per real token in one engine call: a chunk of ordered texts ends before
   * a text whose length would pad it beyond this (on 2 cores, raw ONNX Runtime ran 210 sentences/s
   * one by one and 178/s in padded batches of 32 mixed-length sentences).
   */
  static final double PADDING_BUDGET = 1.25;
  /** The sentence a rebuilt block is checked on against ONNX Runtime. */
  static final String PROBE = "Graft checks that the rebuilt encoder matches ONNX Runtime.";

  private static final String ENGINE = "OnnxRuntime";
  private static final String INPUT_IDS = "input_ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String TOKEN_TYPE_IDS = "token_type_ids";
  private static final Set<String> KNOWN_INPUTS = Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS);

  private final String name;
  private final Path directory;
  private final Device device;
  private final EncoderSettings settings;
  private final BertRebuild rebuild;
  private final EncoderLayers layers;
  private final HuggingFaceTokenizer tokenizer;
  private final ZooModel<NDList, NDList> model;
  private final List<String> inputNames;
  private final PredictorPool predictors;
  private final int hiddenSize;
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxTextEncoder(
      BaseModel base,
      Device device,
      EncoderSettings settings,
      BertRebuild rebuild,
      HuggingFaceTokenizer tokenizer,
      ZooModel<NDList, NDList> model,
      List<String> inputNames) {
    this.name = base.name();
    this.directory = base.directory();
    this.device = device == null ? Device.cpu() : device;
    this.settings = settings;
    this.rebuild = rebuild;
    BertConfig shape = rebuild.config();
    this.layers = shape != null
        ? new EncoderLayers(shape.layers(), true)
        : new EncoderLayers(settings.layers(), false, rebuild.problem());
    this.tokenizer = tokenizer;
    this.model = model;
    this.inputNames = inputNames;
    this.predictors = new PredictorPool(settings.predictors(), model::newPredictor);
    this.hiddenSize = probeHiddenSize();
  }

  /**
   * Opens {@code model.onnx} and {@code tokenizer.json} from {@code base.directory()} on
   * {@code device}.
   *
   * <p>The graph's shape is read once here: when it is BERT-shaped, the encoder also offers its
   * earlier layers for Extract and a trainable copy ({@link #openTrainable}), both rebuilt on the
   * PyTorch engine from the ONNX weights.
   *
   * @throws GraftException FAILED_PRECONDITION when files are missing, properties are malformed,
   *     the device is a GPU the engine cannot use, or the graph is not a BERT-style encoder;
   *     INTERNAL when the engine cannot load it
   */
  public static OnnxTextEncoder open(BaseModel base, Device device) {
    EncoderSettings settings = EncoderSettings.of(base);
    Path dir = base.directory();
    requireFile(base, dir.resolve(MODEL_FILE));
    requireFile(base, dir.resolve(TOKENIZER_FILE));
    requireDevice(base, device);
    HuggingFaceTokenizer tokenizer = null;
    ZooModel<NDList, NDList> model = null;
    try {
      tokenizer = Tokenizers.open(
          dir.resolve(TOKENIZER_FILE), settings.maxTokens(), settings.truncation());
      model = Criteria.builder()
          .setTypes(NDList.class, NDList.class)
          .optModelPath(dir)
          .optModelName(MODEL_FILE.substring(0, MODEL_FILE.length() - ".onnx".length()))
          .optEngine(ENGINE)
          .optDevice(device)
          .optTranslator(new NoopTranslator())
          .build()
          .loadModel();
      BertRebuild rebuild = BertRebuild.inspect(base, dir.resolve(MODEL_FILE), settings);
      return new OnnxTextEncoder(
          base, device, settings, rebuild, tokenizer, model, inputNames(base, model));
    } catch (IOException | ModelNotFoundException | MalformedModelException
        | RuntimeException e) {
      if (model != null) {
        model.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      if (e instanceof GraftException g) {
        throw g;
      }
      throw GraftException.internal(
          "MODEL_LOAD_FAILED", "cannot load text encoder '" + base.name() + "': " + e, e);
    }
  }

  @Override
  public List<String> layers() {
    return layers.names();
  }

  @Override
  public int dimension() {
    return hiddenSize;
  }

  @Override
  public Pooling defaultPooling() {
    return settings.pooling();
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw GraftException.failedPrecondition(
            "BACKBONE_CLOSED", "text encoder '" + name + "' is closed");
      }
      int layer = layers.check(request.layer());
      List<ModelInput.Text> texts = texts(inputs);
      Pooling pooling =
          request.pooling() == Pooling.DEFAULT ? settings.pooling() : request.pooling();
      int limit = settings.truncation() == Truncation.NONE ? settings.maxTokens() : 0;
      Encoding[] encodings = TokenBatch.tokenize(tokenizer, texts, settings.maxTokens(), limit, 0);
      // Shortest first, so each chunk pads only to its own longest text (padding is paid in full
      // by the engine: on 2 cores a chunk of mixed lengths ran slower than its texts one by one).
      Integer[] order = new Integer[encodings.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparingInt(i -> encodings[i].getIds().length));
      int[] lengths = new int[order.length];
      for (int k = 0; k < order.length; k++) {
        lengths[k] = encodings[order[k]].getIds().length;
      }
      float[][] features = new float[texts.size()][];
      for (int start = 0, end; start < order.length; start = end) {
        end = chunkEnd(lengths, start);
        List<Encoding> chunk = new ArrayList<>(end - start);
        for (int k = start; k < end; k++) {
          chunk.add(encodings[order[k]]);
        }
        TokenBatch batch = TokenBatch.pad(chunk);
        float[] hidden = layer == EncoderLayers.LAST
            ? lastHiddenState(batch)
            : rebuild.hiddenStates(batch, layer + 1, device, this::lastHiddenState);
        float[][] pooled = TokenPooling.pool(hidden, batch.mask(), batch.size(), batch.length(),
            hiddenSize, pooling, request.normalize());
        for (int k = 0; k < pooled.length; k++) {
          features[order[start + k]] = pooled[k];
        }
      }
      return features;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Where the chunk that starts at {@code start} of texts of ascending token {@code lengths} ends: at most
   * {@value #CHUNK} texts, and no more padding than {@link #PADDING_BUDGET} allows.
   */
  static int chunkEnd(int[] lengths, int start) {
    int end = start + 1;
    long tokens = lengths[start];
    while (end < lengths.length && end - start < CHUNK) {
      int next = lengths[end]; // the longest so far: lengths are in ascending order
      if ((end - start + 1L) * next > PADDING_BUDGET * (tokens + next)) {
        break;
      }
      tokens += next;
      end++;
    }
    return end;
  }

  /**
   * A trainable copy of this encoder (see {@link TextOptions} for the options).
   *
   * @throws GraftException FAILED_PRECONDITION NOT_BERT_SHAPED when the graph cannot be rebuilt
   *     as a BERT block, saying why; INVALID_ARGUMENT naming {@code hyperparameters.extra[KEY]}
   *     for a bad option
   */
  @Override
  public TrainableBackbone openTrainable(Device target, Map<String, String> options) {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw GraftException.failedPrecondition(
            "BACKBONE_CLOSED", "text encoder '" + name + "' is closed");
      }
      TokenBatch probe = TokenBatch.encode(tokenizer, List.of(new ModelInput.Text(PROBE)));
      if (rebuild.config() == null) {
        rebuild.weights(probe, this::lastHiddenState); // throws, saying why
      }
      TextOptions parsed =
          TextOptions.parse(options, layers, settings, rebuild.config().maxPositions());
      BertWeights weights = rebuild.weights(probe, this::lastHiddenState);
      return BertTextBackbone.open(directory.resolve(TOKENIZER_FILE), weights, parsed,
          target == null ? device : target);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      rebuild.close();
      try {
        predictors.close();
      } finally {
        try {
          model.close();
        } finally {
          tokenizer.close();
        }
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** ONNX Runtime's last hidden states for a batch, row-major [size, length, hidden]. */
  float[] lastHiddenState(TokenBatch batch) {
    try (NDManager scope = model.getNDManager().newSubManager()) {
      Shape shape = new Shape(batch.size(), batch.length());
      NDList in = new NDList(inputNames.size());
      for (String input : inputNames) {
        long[] data = switch (input) {
          case INPUT_IDS -> batch.ids();
          case ATTENTION_MASK -> batch.mask();
          default -> batch.typeIds();
        };
        NDArray array = scope.create(data, shape);
        array.setName(input);
        in.add(array);
      }
      NDArray hidden = hiddenState(predictors.predict(in));
      Shape out = hidden.getShape();
      if (out.dimension() != 3 || out.get(0) != batch.size() || out.get(1) != batch.length()) {
        throw GraftException.internal(
            "UNEXPECTED_ENGINE_OUTPUT",
            "text encoder '" + name + "' returned " + out + " for input " + shape, null);
      }
      return hidden.toFloatArray();
    }
  }

  private int probeHiddenSize() {
    try {
      TokenBatch empty = TokenBatch.encode(tokenizer, List.of(new ModelInput.Text("")));
      int width = lastHiddenState(empty).length / empty.length();
      if (settings.hiddenSize() > 0 && settings.hiddenSize() != width) {
        throw GraftException.failedPrecondition(
            "MODEL_PROPERTY_MISMATCH",
            "model '" + name + "' declares hidden_size " + settings.hiddenSize()
                + " but its encoder outputs " + width);
      }
      return width;
    } catch (RuntimeException e) {
      predictors.close();
      throw e;
    }
  }

  /** The last hidden state: the output so named, else the first 3-d output. */
  private NDArray hiddenState(NDList outputs) {
    NDArray byName = outputs.get(EncoderLayers.LAST_HIDDEN_STATE);
    if (byName != null) {
      return byName;
    }
    for (NDArray output : outputs) {
      if (output.getShape().dimension() == 3) {
        return output;
      }
    }
    throw GraftException.failedPrecondition(
        "UNSUPPORTED_MODEL_OUTPUTS",
        "model '" + name + "' has no [batch, tokens, hidden] output (expected "
            + EncoderLayers.LAST_HIDDEN_STATE + ")");
  }

  private static List<String> inputNames(BaseModel base, ZooModel<NDList, NDList> model) {
    List<String> names = model.getBlock().describeInput().keys();
    if (!names.contains(INPUT_IDS) || !KNOWN_INPUTS.containsAll(names)) {
      throw GraftException.failedPrecondition(
          "UNSUPPORTED_MODEL_INPUTS",
          "model '" + base.name() + "' wants inputs " + names + "; a text encoder takes "
              + INPUT_IDS + " and optionally " + ATTENTION_MASK + ", " + TOKEN_TYPE_IDS);
    }
    return List.copyOf(names);
  }

  private static List<ModelInput.Text> texts(List<ModelInput> inputs) {
    List<ModelInput.Text> texts = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      ModelInput input = inputs.get(i);
      if (!(input instanceof ModelInput.Text text)) {
        String field = "inputs[" + i + "]";
        throw GraftException.invalidArgument(
            field,
            "UNSUPPORTED_INPUT_KIND",
            field + " is " + (input == null ? "missing" : input.kind())
                + "; a text encoder reads TEXT");
      }
      texts.add(text);
    }
    return texts;
  }

  private static void requireDevice(BaseModel base, Device device) {
    if (device != null && device.isGpu()
        && Engine.getEngine(ENGINE).getGpuCount() <= device.getDeviceId()) {
      throw GraftException.failedPrecondition(
          "DEVICE_UNSUPPORTED",
          "cannot open '" + base.name() + "' on " + device + ": the " + ENGINE
              + " engine here has no such GPU (CUDA needs"
              + " com.microsoft.onnxruntime:onnxruntime_gpu)");
    }
  }

  private static void requireFile(BaseModel base, Path file) {
    if (!Files.isRegularFile(file)) {
      throw GraftException.failedPrecondition(
          "MODEL_FILE_MISSING", "model '" + base.name() + "' has no " + file.getFileName()
              + " in " + base.directory());
    }
  }
}
