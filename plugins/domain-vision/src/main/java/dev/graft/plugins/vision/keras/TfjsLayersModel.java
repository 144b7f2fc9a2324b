package dev.graft.plugins.vision.keras;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Keras model saved in the TF.js layers format, read into memory: the layer graph from
 * {@code model.json} (or {@code model.tfjs-layers}, as ImportModel names it; {@code modelTopology}) and every weight, dequantised to float32, from the
 * shards its {@code weightsManifest} names. A shard is read from the binary file of its path, or,
 * when that is absent, from {@code <path>.min.js} / {@code <path>.js} holding the bytes as one
 * base64 string (how npm packages such as nsfwjs ship them). Weights quantised to uint8/uint16
 * with a {@code min} and {@code scale} are restored as {@code min + scale * q}.
 *
 * <p>Immutable after {@link #read}; safe to share between threads.
 */
public final class TfjsLayersModel {
  /** The name ImportModel gives the main file of format {@code tfjs-layers}. */
  public static final String IMPORTED_NAME = "model.tfjs-layers";
  private static final Pattern BASE64 = Pattern.compile("\"([A-Za-z0-9+/=]{64,})\"");

  private final List<KerasLayer> layers;
  private final String inputLayer;
  private final int[] inputShape;
  private final Map<String, float[]> weights;
  private final Map<String, long[]> shapes;

  private TfjsLayersModel(List<KerasLayer> layers, String inputLayer, int[] inputShape,
      Map<String, float[]> weights, Map<String, long[]> shapes) {
    this.layers = List.copyOf(layers);
    this.inputLayer = inputLayer;
    this.inputShape = inputShape;
    this.weights = Map.copyOf(weights);
    this.shapes = Map.copyOf(shapes);
  }

  /**
   * Reads {@code model.json} and its shards from {@code directory}.
   *
   * @throws IOException when a file cannot be read
   * @throws UnsupportedModelException when the files are not a Keras layers model this reader
   *     understands
   */
  public static TfjsLayersModel read(Path directory) throws IOException {
    JsonObject root;
    Path json = directory.resolve("model.json");
    if (!Files.isRegularFile(json) && Files.isRegularFile(directory.resolve(IMPORTED_NAME))) {
      json = directory.resolve(IMPORTED_NAME);
    }
    try {
      root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new UnsupportedModelException("model.json is not valid JSON: " + e.getMessage());
    }
    try {
      return read(directory, root);
    } catch (NullPointerException | IllegalStateException | UnsupportedOperationException | ClassCastException
        | NumberFormatException | IndexOutOfBoundsException e) {
      // Gson's tree throws these for a member that is missing or of another JSON type: the
      // file is not laid out as a Keras layers model, which is the caller's input, not a bug.
      throw new UnsupportedModelException("model.json is not laid out as a Keras layers model (a member is"
          + " missing or of the wrong JSON type: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
  }

  private static TfjsLayersModel read(Path directory, JsonObject root) throws IOException {
    JsonObject topology = object(root, "modelTopology");
    JsonObject modelConfig = topology.has("model_config") ? object(topology, "model_config")
        : topology;
    String cls = modelConfig.get("class_name").getAsString();
    if (!cls.equals("Model") && !cls.equals("Functional")) {
      throw new UnsupportedModelException("model class " + cls
          + " is not supported: only Keras functional models (Model, Functional) convert");
    }
    JsonObject config = object(modelConfig, "config");
    List<KerasLayer> layers = new ArrayList<>();
    for (JsonElement e : config.getAsJsonArray("layers")) {
      layers.add(layer(e.getAsJsonObject()));
    }
    JsonArray inputs = config.getAsJsonArray("input_layers");
    if (inputs.size() != 1) {
      throw new UnsupportedModelException("the model has " + inputs.size()
          + " inputs; only single-input models convert");
    }
    String input = inputs.get(0).getAsJsonArray().get(0).getAsString();
    for (KerasLayer l : layers) {
      if (l.name().equals(input) && !l.className().equals("InputLayer")) {
        throw new UnsupportedModelException("input layer '" + input + "' is a " + l.className()
            + ", not an InputLayer");
      }
    }
    int[] shape = inputShape(layers, input);
    Map<String, float[]> weights = new HashMap<>();
    Map<String, long[]> shapes = new HashMap<>();
    for (JsonElement g : root.getAsJsonArray("weightsManifest")) {
      readGroup(directory, g.getAsJsonObject(), weights, shapes);
    }
    return new TfjsLayersModel(layers, input, shape, weights, shapes);
  }

  private static KerasLayer layer(JsonObject json) {
    String name = json.has("name") ? json.get("name").getAsString()
        : object(json, "config").get("name").getAsString();
    List<String> inbound = new ArrayList<>();
    JsonArray nodes = json.getAsJsonArray("inbound_nodes");
    if (nodes != null && nodes.size() > 1) {
      throw new UnsupportedModelException("layer '" + name + "' is shared ("
          + nodes.size() + " inbound nodes); shared layers are not supported");
    }
    if (nodes != null && nodes.size() == 1) {
      for (JsonElement in : nodes.get(0).getAsJsonArray()) {
        JsonArray ref = in.getAsJsonArray();
        if (ref.get(1).getAsInt() != 0 || ref.get(2).getAsInt() != 0) {
          throw new UnsupportedModelException("layer '" + name
              + "' reads a second node or output of '" + ref.get(0).getAsString()
              + "'; not supported");
        }
        inbound.add(ref.get(0).getAsString());
      }
    }
    return new KerasLayer(name, json.get("class_name").getAsString(), object(json, "config"),
        inbound);
  }

  private static int[] inputShape(List<KerasLayer> layers, String input) {
    for (KerasLayer l : layers) {
      if (l.name().equals(input) && l.has("batch_input_shape")) {
        JsonArray a = l.config().getAsJsonArray("batch_input_shape");
        int[] shape = new int[a.size() - 1];
        for (int i = 1; i < a.size(); i++) {
          shape[i - 1] = a.get(i).isJsonNull() ? -1 : a.get(i).getAsInt();
        }
        if (shape.length != 3) {
          throw new UnsupportedModelException("input '" + input + "' has shape " + a
              + "; only image inputs [batch, height, width, channels] convert");
        }
        return shape;
      }
    }
    throw new UnsupportedModelException("input layer '" + input + "' has no batch_input_shape");
  }

  private static void readGroup(Path directory, JsonObject group, Map<String, float[]> weights,
      Map<String, long[]> shapes) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (JsonElement p : group.getAsJsonArray("paths")) {
      all.write(shard(directory, p.getAsString()));
    }
    ByteBuffer data = ByteBuffer.wrap(all.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonElement w : group.getAsJsonArray("weights")) {
      JsonObject spec = w.getAsJsonObject();
      String name = spec.get("name").getAsString();
      JsonArray dims = spec.getAsJsonArray("shape");
      long[] shape = new long[dims.size()];
      int count = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = dims.get(i).getAsLong();
        count = Math.multiplyExact(count, (int) shape[i]);
      }
      weights.put(name, values(name, spec, data, count));
      shapes.put(name, shape);
    }
    if (data.hasRemaining()) {
      throw new UnsupportedModelException("the weight shards hold " + data.remaining()
          + " bytes more than the manifest describes");
    }
  }

  private static float[] values(String name, JsonObject spec, ByteBuffer data, int count) {
    String dtype = spec.get("dtype").getAsString();
    if (!dtype.equals("float32")) {
      throw new UnsupportedModelException("weight " + name + " has dtype " + dtype
          + "; only float32 weights convert");
    }
    float[] out = new float[count];
    JsonObject q = spec.has("quantization") ? spec.getAsJsonObject("quantization") : null;
    try {
      if (q == null) {
        data.asFloatBuffer().get(out);
        data.position(data.position() + count * Float.BYTES);
        return out;
      }
      String qtype = q.get("dtype").getAsString();
      if (!q.has("min") || !q.has("scale")) {
        throw new UnsupportedModelException("weight " + name + " is quantised to " + qtype
            + " without min/scale; only affine uint8/uint16 quantisation converts");
      }
      double min = q.get("min").getAsDouble();
      double scale = q.get("scale").getAsDouble();
      for (int i = 0; i < count; i++) {
        int v = switch (qtype) {
          case "uint8" -> data.get() & 0xff;
          case "uint16" -> data.getShort() & 0xffff;
          default -> throw new UnsupportedModelException("weight " + name + " is quantised to "
              + qtype + "; only uint8 and uint16 convert");
        };
        out[i] = (float) (min + scale * v);
      }
      return out;
    } catch (java.nio.BufferUnderflowException e) {
      throw new UnsupportedModelException("the weight shards end inside weight " + name);
    }
  }

  private static byte[] shard(Path directory, String path) throws IOException {
    Path bin = directory.resolve(path).normalize();
    if (!bin.startsWith(directory.normalize())) {
      throw new UnsupportedModelException("weight path " + path + " leaves the model folder");
    }
    if (Files.isRegularFile(bin)) {
      return Files.readAllBytes(bin);
    }
    for (String suffix : List.of(".min.js", ".js")) {
      Path js = directory.resolve(path + suffix);
      if (Files.isRegularFile(js)) {
        Matcher m = BASE64.matcher(Files.readString(js, StandardCharsets.UTF_8));
        String longest = "";
        while (m.find()) {
          if (m.group(1).length() > longest.length()) {
            longest = m.group(1);
          }
        }
        if (longest.isEmpty()) {
          throw new UnsupportedModelException(js.getFileName() + " holds no base64 weight data");
        }
        try {
          return Base64.getDecoder().decode(longest);
        } catch (IllegalArgumentException e) {
          throw new UnsupportedModelException(js.getFileName() + " holds no valid base64 weight data: "
              + e.getMessage());
        }
      }
    }
    throw new UnsupportedModelException("weight shard " + path + " is missing (looked for "
        + path + ", " + path + ".min.js, " + path + ".js)");
  }

  private static JsonObject object(JsonObject parent, String key) {
    JsonElement e = parent.get(key);
    if (e == null || !e.isJsonObject()) {
      throw new UnsupportedModelException("model.json has no object '" + key + "'");
    }
    return e.getAsJsonObject();
  }

  /** The layers in the order the model lists them (a topological order). */
  public List<KerasLayer> layers() {
    return layers;
  }

  /** The name of the input layer. */
  public String inputLayer() {
    return inputLayer;
  }

  /** The input's [height, width, channels] as saved (-1 where free). */
  public int[] inputShape() {
    return inputShape.clone();
  }

  /** A weight by its Keras name ("Conv1/kernel"), or null. Not copied: do not change it. */
  float[] weight(String name) {
    return weights.get(name);
  }

  /** A weight's Keras shape, or null. */
  long[] shape(String name) {
    return shapes.get(name);
  }

  /** The layers by name, in model order. */
  Map<String, KerasLayer> byName() {
    Map<String, KerasLayer> map = new LinkedHashMap<>();
    for (KerasLayer l : layers) {
      map.put(l.name(), l);
    }
    return map;
  }
}
