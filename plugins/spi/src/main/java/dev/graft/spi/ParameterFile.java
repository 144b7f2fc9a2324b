package dev.graft.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The file a {@link TrainableBackbone} saves its weights to: a format tag, the number of arrays,
 * then per array its name, its number of values and the float32 values (big-endian). Reading
 * checks tag, count, names and sizes of the whole file before it changes any array, so a file of
 * another network is refused, not half-loaded. Since SPI 1.2.
 *
 * <p>Stateless and thread-safe; the caller owns and closes the streams and the arrays.
 */
@Experimental("moves to the plugin toolkit (issue 19): weights helpers are not SPI")
public final class ParameterFile {
  private ParameterFile() {}

  /**
   * Every parameter of {@code groups} named {@code "group/parameter"}, bottom group first (names
   * may repeat: parameters are matched by position, names only checked).
   */
  public static List<Map.Entry<String, NDArray>> byGroup(List<ParameterGroup> groups) {
    List<Map.Entry<String, NDArray>> arrays = new ArrayList<>();
    for (ParameterGroup group : groups) {
      for (Parameter p : group.parameters()) {
        arrays.add(Map.entry(group.name() + "/" + p.getName(), p.getArray()));
      }
    }
    return arrays;
  }

  /** Writes the named {@code arrays}, in order, under the format tag {@code magic}. */
  public static void write(OutputStream out, String magic,
      List<Map.Entry<String, NDArray>> arrays) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeUTF(magic);
    data.writeInt(arrays.size());
    for (Map.Entry<String, NDArray> e : arrays) {
      data.writeUTF(e.getKey());
      float[] values = e.getValue().toFloatArray();
      data.writeInt(values.length);
      ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
      bytes.asFloatBuffer().put(values);
      data.write(bytes.array());
    }
    data.flush();
  }

  /**
   * Reads what {@link #write} wrote into {@code arrays}, in place.
   *
   * @param what what the weights belong to, for messages ("encoder", "network")
   * @throws GraftException FAILED_PRECONDITION {@code CORRUPT_WEIGHTS} when the tag, the count,
   *     a name or a size differs
   */
  public static void read(InputStream in, String magic, List<Map.Entry<String, NDArray>> arrays,
      String what) throws IOException {
    DataInputStream data = new DataInputStream(in);
    if (!magic.equals(data.readUTF()) || data.readInt() != arrays.size()) {
      throw mismatch(what, "the file is not a parameter file of this " + what);
    }
    List<float[]> read = new ArrayList<>(arrays.size());
    for (Map.Entry<String, NDArray> e : arrays) {
      String stored = data.readUTF();
      int n = data.readInt();
      NDArray array = e.getValue();
      if (!stored.equals(e.getKey()) || n != array.getShape().size()) {
        throw mismatch(what, "expected " + e.getKey() + " with " + array.getShape().size()
            + " values, found " + stored + " with " + n);
      }
      byte[] bytes = new byte[n * Float.BYTES];
      data.readFully(bytes);
      float[] values = new float[n];
      ByteBuffer.wrap(bytes).asFloatBuffer().get(values);
      read.add(values);
    }
    for (int i = 0; i < arrays.size(); i++) {
      arrays.get(i).getValue().set(read.get(i));
    }
  }

  private static GraftException mismatch(String what, String why) {
    return GraftException.failedPrecondition("CORRUPT_WEIGHTS",
        "the stored " + what + " weights do not fit this " + what + ": " + why);
  }
}
