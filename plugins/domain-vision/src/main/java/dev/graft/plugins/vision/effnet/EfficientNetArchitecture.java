package dev.graft.plugins.vision.effnet;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An EfficientNet-Lite architecture: the EfficientNet-B0 stage list (MBConv blocks without
 * squeeze-excite, ReLU6) scaled by width and depth as TensorFlow's efficientnet_lite_builder does
 * (filters rounded to multiples of 8; the stem (32), the head (1280) and the repeats of the
 * first and last stage are not scaled). Batch norms use epsilon 1e-3 and convolutions
 * TensorFlow's "same" padding (asymmetric for stride 2: the extra row and column go
 * bottom/right).
 *
 * <p>Feature layers: {@code head} (the 1280-channel head after batch norm and ReLU6, the
 * default) and {@code stage1} … {@code stage7} (the output of each stage's last block).
 * Immutable.
 */
public final class EfficientNetArchitecture {
  /** One stage of identical MBConv blocks (the first may change stride and width). */
  public record Stage(int repeats, int kernel, int stride, int expand, int in, int out) {}

  /** One MBConv block, numbered as in the state dict ({@code _blocks.N}). */
  public record MbConv(int index, int stage, int kernel, int stride, int expand, int in, int out) {
    /** The width of the expanded (depthwise) part. */
    public int mid() {
      return in * expand;
    }

    /** Whether the block adds its input to its output. */
    public boolean residual() {
      return stride == 1 && in == out;
    }
  }

  /** The name of the head layer. */
  public static final String HEAD = "head";
  static final List<Stage> B0 = List.of(
      new Stage(1, 3, 1, 1, 32, 16), new Stage(2, 3, 2, 6, 16, 24),
      new Stage(2, 5, 2, 6, 24, 40), new Stage(3, 3, 2, 6, 40, 80),
      new Stage(3, 5, 1, 6, 80, 112), new Stage(4, 5, 2, 6, 112, 192),
      new Stage(1, 3, 1, 6, 192, 320));

  private final String name;
  private final List<MbConv> blocks;
  private final int stem;
  private final int head;

  private EfficientNetArchitecture(String name, double width, double depth) {
    this.name = name;
    this.stem = 32;
    this.head = 1280;
    List<MbConv> list = new ArrayList<>();
    for (int s = 0; s < B0.size(); s++) {
      Stage st = B0.get(s);
      boolean fixed = s == 0 || s == B0.size() - 1;
      int repeats = fixed ? st.repeats() : (int) Math.ceil(depth * st.repeats());
      int in = s == 0 ? stem : filters(st.in(), width);
      int out = filters(st.out(), width);
      for (int r = 0; r < repeats; r++) {
        list.add(new MbConv(list.size(), s + 1, st.kernel(), r == 0 ? st.stride() : 1,
            st.expand(), r == 0 ? in : out, out));
      }
    }
    this.blocks = List.copyOf(list);
  }

  /**
   * The architecture called {@code name}: efficientnet-lite0 … efficientnet-lite4.
   *
   * @throws IllegalArgumentException for another name
   */
  public static EfficientNetArchitecture named(String name) {
    double[] wd = switch (name.toLowerCase(Locale.ROOT)) {
      case "efficientnet-lite0" -> new double[] {1.0, 1.0};
      case "efficientnet-lite1" -> new double[] {1.0, 1.1};
      case "efficientnet-lite2" -> new double[] {1.1, 1.2};
      case "efficientnet-lite3" -> new double[] {1.2, 1.4};
      case "efficientnet-lite4" -> new double[] {1.4, 1.8};
      default -> throw new IllegalArgumentException("unknown architecture '" + name
          + "' (known: efficientnet-lite0 … efficientnet-lite4)");
    };
    return new EfficientNetArchitecture(name.toLowerCase(Locale.ROOT), wd[0], wd[1]);
  }

  private static int filters(int filters, double width) {
    double scaled = filters * width;
    int rounded = Math.max(8, (int) (scaled + 4) / 8 * 8);
    return rounded < 0.9 * scaled ? rounded + 8 : rounded;
  }

  public String name() {
    return name;
  }

  /** The MBConv blocks in order. */
  public List<MbConv> blocks() {
    return blocks;
  }

  public int stemChannels() {
    return stem;
  }

  public int headChannels() {
    return head;
  }

  /** Batch-norm epsilon. */
  public float epsilon() {
    return 1e-3f;
  }

  /** The number of stages. */
  public int stages() {
    return B0.size();
  }

  /** The feature layers, the default ({@code head}) first, then the stages from the top. */
  public List<String> layers() {
    List<String> names = new ArrayList<>();
    names.add(HEAD);
    for (int s = stages(); s >= 1; s--) {
      names.add("stage" + s);
    }
    return names;
  }

  /**
   * How many blocks a layer needs and its width: {@code [blocks, channels]}.
   *
   * @throws IllegalArgumentException for an unknown layer
   */
  int[] extent(String layer) {
    if (layer.equals(HEAD)) {
      return new int[] {blocks.size(), head};
    }
    if (layer.startsWith("stage")) {
      try {
        int s = Integer.parseInt(layer.substring(5));
        int last = -1;
        for (MbConv b : blocks) {
          if (b.stage() == s) {
            last = b.index();
          }
        }
        if (last >= 0) {
          return new int[] {last + 1, blocks.get(last).out()};
        }
      } catch (NumberFormatException e) {
        // falls through to the error
      }
    }
    throw new IllegalArgumentException("'" + layer + "' is not a layer of " + name
        + " (layers: " + layers() + ")");
  }
}
