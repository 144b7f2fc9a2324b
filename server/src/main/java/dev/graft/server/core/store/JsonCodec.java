package dev.graft.server.core.store;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The JSON form of every store record: Gson with records, enums, {@link Instant} as ISO-8601
 * text, NaN and infinities allowed (metrics may hold them), pretty printed, no HTML escaping.
 *
 * <p>Thread-safe and immutable; one instance is shared by all stores.
 */
public final class JsonCodec {
  private final Gson gson;

  public JsonCodec() {
    this.gson =
        new GsonBuilder()
            .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe())
            .serializeSpecialFloatingPointValues()
            .disableHtmlEscaping()
            .setPrettyPrinting()
            .create();
  }

  public String toJson(Object value) {
    return gson.toJson(value);
  }

  public JsonElement toJsonTree(Object value) {
    return gson.toJsonTree(value);
  }

  /**
   * Parses {@code json} as a {@code type}.
   *
   * @throws JsonParseException when the text is not valid JSON for {@code type}
   */
  public <T> T fromJson(String json, Class<T> type) {
    T value = gson.fromJson(json, type);
    if (value == null) {
      throw new JsonParseException("empty JSON document");
    }
    return value;
  }

  /**
   * Parses {@code json} as a generic {@code type} (e.g. a map of records).
   *
   * @throws JsonParseException when the text is not valid JSON for {@code type}
   */
  public <T> T fromJson(String json, java.lang.reflect.Type type) {
    T value = gson.fromJson(json, type);
    if (value == null) {
      throw new JsonParseException("empty JSON document");
    }
    return value;
  }

  public <T> T fromJson(JsonElement json, Class<T> type) {
    T value = gson.fromJson(json, type);
    if (value == null) {
      throw new JsonParseException("empty JSON document");
    }
    return value;
  }

  private static final class InstantAdapter extends TypeAdapter<Instant> {
    @Override
    public void write(JsonWriter out, Instant value) throws IOException {
      out.value(value.toString());
    }

    @Override
    public Instant read(JsonReader in) throws IOException {
      if (in.peek() != JsonToken.STRING) {
        throw new JsonParseException("expected an ISO-8601 instant at " + in.getPath());
      }
      String text = in.nextString();
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new JsonParseException("bad instant '" + text + "' at " + in.getPath(), e);
      }
    }
  }
}
