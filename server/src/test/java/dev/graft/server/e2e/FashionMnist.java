package dev.graft.server.e2e;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Target;
import dev.graft.api.v1.Tensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from Debian's dataset-fashion-mnist ({@code /usr/share/datasets/fashion-mnist},
 * or {@code -Dgraft.fashion=DIR}): 28×28 grey images as uint8 tensors, and fixed class-balanced
 * subsets (k per class, chosen by a seeded shuffle).
 */
final class FashionMnist {
  static final String[] LABELS = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
      "shirt", "sneaker", "bag", "ankle-boot"};

  final byte[][] images;
  final int[] labels;

  private FashionMnist(byte[][] images, int[] labels) {
    this.images = images;
    this.labels = labels;
  }

  static Path directory() {
    return Path.of(System.getProperty("graft.fashion", "/usr/share/datasets/fashion-mnist"));
  }

  static boolean available() {
    return Files.isRegularFile(directory().resolve("t10k-images-idx3-ubyte.gz"));
  }

  /** {@code split} = "train" or "t10k". */
  static FashionMnist load(String split) throws IOException {
    Path dir = directory();
    byte[][] images;
    int[] labels;
    try (DataInputStream in = open(dir.resolve(split + "-images-idx3-ubyte.gz"))) {
      in.readInt();
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      images = new byte[n][rows * cols];
      for (byte[] image : images) {
        in.readFully(image);
      }
    }
    try (DataInputStream in = open(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
      in.readInt();
      int n = in.readInt();
      labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = in.readUnsignedByte();
      }
    }
    return new FashionMnist(images, labels);
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = Files.newInputStream(file);
    return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw)));
  }

  /** Indices of {@code perClass} images of each class, chosen by a shuffle seeded with {@code seed}. */
  int[] balanced(int perClass, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new Random(seed));
    int[] taken = new int[10];
    List<Integer> out = new ArrayList<>();
    for (int i : order) {
      if (taken[labels[i]] < perClass) {
        taken[labels[i]]++;
        out.add(i);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  Input input(int i) {
    return Input.newBuilder().setTensor(Tensor.newBuilder().setDtype(DataType.DATA_TYPE_UINT8)
        .addShape(28).addShape(28).setData(ByteString.copyFrom(images[i]))).build();
  }

  List<Example> examples(int[] indices) {
    List<Example> out = new ArrayList<>();
    for (int i : indices) {
      out.add(Example.newBuilder().setInput(input(i))
          .setTarget(Target.newBuilder().setLabel(LABELS[labels[i]])).build());
    }
    return out;
  }
}
