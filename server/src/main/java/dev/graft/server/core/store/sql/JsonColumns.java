package dev.graft.server.core.store.sql;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.blob.BlobRef;
import java.util.Map;
import java.util.TreeMap;

/**
 * The text of the shared store's {@code jsonb} columns: a record ({@code record}) and a set of
 * blobs ({@code files}, {@code {"relative/path": {"sha256": "…", "size": N}}}).
 *
 * <p>PostgreSQL's {@code jsonb} holds standard JSON only, while a record's metrics may be NaN or
 * infinite ({@link JsonCodec} writes them as bare {@code NaN}); such numbers are stored as the
 * strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, which the codec reads back into
 * {@code double} and {@code float} fields unchanged. Stateless and thread-safe.
 */
public final class JsonColumns {
  private JsonColumns() {}

  /** {@code record} as jsonb text (non-finite numbers as strings). */
  public static String record(JsonCodec json, Object record) {
    return finite(json.toJsonTree(record)).toString();
  }

  /**
   * Reads a record column.
   *
   * @throws JsonParseException when the text is not a valid {@code type}
   */
  public static <T> T record(JsonCodec json, String text, Class<T> type) {
    return json.fromJson(text, type);
  }

  /** A {@code files} column: each relative path with its blob's SHA-256 and size. */
  public static String files(Map<String, BlobRef> files) {
    JsonObject out = new JsonObject();
    new TreeMap<>(files).forEach((path, ref) -> {
      JsonObject entry = new JsonObject();
      entry.addProperty("sha256", ref.sha256());
      entry.addProperty("size", ref.size());
      out.add(path, entry);
    });
    return out.toString();
  }

  /**
   * Reads a {@code files} column, sorted by path.
   *
   * @throws JsonParseException when the text is not such an object
   */
  public static Map<String, BlobRef> files(String text) {
    Map<String, BlobRef> out = new TreeMap<>();
    try {
      for (Map.Entry<String, JsonElement> e : JsonParser.parseString(text).getAsJsonObject().entrySet()) {
        JsonObject entry = e.getValue().getAsJsonObject();
        out.put(e.getKey(), new BlobRef(entry.get("sha256").getAsString(), entry.get("size").getAsLong()));
      }
    } catch (IllegalStateException | IllegalArgumentException | NullPointerException | UnsupportedOperationException e) {
      throw new JsonParseException("not a files object: " + e.getMessage(), e);
    }
    return out;
  }

  /** {@code tree} with every NaN or infinite number replaced by its name as a string. */
  private static JsonElement finite(JsonElement tree) {
    if (tree.isJsonObject()) {
      JsonObject out = new JsonObject();
      tree.getAsJsonObject().entrySet().forEach(e -> out.add(e.getKey(), finite(e.getValue())));
      return out;
    }
    if (tree.isJsonArray()) {
      JsonArray out = new JsonArray();
      tree.getAsJsonArray().forEach(e -> out.add(finite(e)));
      return out;
    }
    if (tree.isJsonPrimitive() && tree.getAsJsonPrimitive().isNumber()) {
      double d = tree.getAsDouble();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        return new JsonPrimitive(Double.toString(d));
      }
    }
    return tree;
  }
}
