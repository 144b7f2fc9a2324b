package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * IDX datasets (the MNIST format), sent as two parts: {@code images} (unsigned bytes, dimensions
 * [count, rows, cols] or [count, rows, cols, channels]) and {@code labels} (unsigned bytes,
 * [count]); either may be gzipped. Each image becomes a {@code uint8} {@link ModelInput.Tensor}
 * of shape [rows, cols] (or [rows, cols, channels]) labelled with its digit as text.
 *
 * <p>Errors are INVALID_ARGUMENT: field "chunk.part" reason MISSING_PART when a part is absent,
 * else field {@code data[images]} or {@code data[labels]} reason INVALID_DATASET_RECORD.
 * Stateless and thread-safe.
 */
public final class IdxDatasetParser implements DatasetParser {
  private static final int UBYTE = 0x08;

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec) {
    RecordErrors.onlyParts(parts, Set.of("images", "labels"), "IDX");
    if (parts.isEmpty()) {
      return List.of();
    }
    for (String part : List.of("images", "labels")) {
      if (!parts.containsKey(part)) {
        throw GraftException.invalidArgument(
            "chunk.part", "MISSING_PART", "IDX datasets need two parts, 'images' and 'labels'; '" + part + "' is missing");
      }
    }
    try (DataInputStream images = open(parts.get("images"));
        DataInputStream labels = open(parts.get("labels"))) {
      int[] imageDims = header(images, "images");
      int[] labelDims = header(labels, "labels");
      if (imageDims.length < 3 || imageDims.length > 4) {
        throw bad("images", "expected 3 or 4 dimensions (count, rows, cols[, channels]), found " + imageDims.length);
      }
      if (labelDims.length != 1) {
        throw bad("labels", "expected 1 dimension (count), found " + labelDims.length);
      }
      if (imageDims[0] != labelDims[0]) {
        throw bad("labels", labelDims[0] + " labels for " + imageDims[0] + " images");
      }
      long[] shape = Arrays.stream(imageDims, 1, imageDims.length).asLongStream().toArray();
      long pixels = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      if (pixels <= 0 || pixels > Integer.MAX_VALUE - 8) {
        throw bad("images", "an image of " + pixels + " bytes is out of range");
      }
      List<Example> out = new ArrayList<>(Math.min(imageDims[0], 1 << 20));
      for (int i = 0; i < imageDims[0]; i++) {
        byte[] image = new byte[(int) pixels];
        try {
          images.readFully(image);
        } catch (EOFException e) {
          throw bad("images", "ends after " + i + " of " + imageDims[0] + " images");
        }
        int label;
        try {
          label = labels.readUnsignedByte();
        } catch (EOFException e) {
          throw bad("labels", "ends after " + i + " of " + labelDims[0] + " labels");
        }
        out.add(new Example(new ModelInput.Tensor("uint8", shape.clone(), image), new Target.Label(Integer.toString(label))));
      }
      return out;
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    }
    return new DataInputStream(in);
  }

  /** Reads the magic number and dimensions. */
  private static int[] header(DataInputStream in, String part) throws IOException {
    try {
      int magic = in.readInt();
      int type = (magic >>> 8) & 0xff;
      int dims = magic & 0xff;
      if ((magic >>> 16) != 0 || type != UBYTE || dims == 0) {
        throw bad(part, String.format("not an IDX file of unsigned bytes (magic 0x%08x)", magic));
      }
      int[] sizes = new int[dims];
      for (int d = 0; d < dims; d++) {
        sizes[d] = in.readInt();
        if (sizes[d] <= 0) {
          throw bad(part, "dimension " + d + " is " + sizes[d]);
        }
      }
      return sizes;
    } catch (EOFException e) {
      throw bad(part, "too short for an IDX header");
    }
  }

  private static GraftException bad(String part, String message) {
    return GraftException.invalidArgument("data[" + part + "]", RecordErrors.INVALID_DATASET_RECORD, part + ": " + message);
  }
}
