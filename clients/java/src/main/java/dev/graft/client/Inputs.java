package dev.graft.client;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.Image;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Series;
import dev.graft.api.v1.Target;
import dev.graft.api.v1.Text;
import java.util.List;

/** Short ways to build inputs and examples. */
public final class Inputs {
  private Inputs() {}

  public static Input text(String text) {
    return Input.newBuilder().setText(Text.newBuilder().setText(text)).build();
  }

  public static Input textPair(String text, String pair) {
    return Input.newBuilder().setText(Text.newBuilder().setText(text).setPair(pair)).build();
  }

  public static Input image(byte[] encoded) {
    return Input.newBuilder().setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(encoded))).build();
  }

  public static Input series(float... values) {
    Series.Builder s = Series.newBuilder();
    for (float v : values) {
      s.addValues(v);
    }
    return Input.newBuilder().setSeries(s).build();
  }

  public static List<Input> texts(List<String> texts) {
    return texts.stream().map(Inputs::text).toList();
  }

  /** A labelled text example for classification. */
  public static Example labelled(String text, String label) {
    return Example.newBuilder().setInput(text(text)).setTarget(Target.newBuilder().setLabel(label)).build();
  }
}
