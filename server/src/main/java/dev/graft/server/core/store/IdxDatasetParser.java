package dev.graft.server.core.store;

import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * IDX datasets (the MNIST format), sent as two parts: {@code images} (unsigned bytes, dimensions
 * [count, rows, cols] or [count, rows, cols, channels], channels 1, 3 or 4) and {@code labels}
 * (unsigned bytes, [count]); either may be gzipped. Each image becomes a {@code uint8}
 * {@link ModelInput.Tensor} of shape [rows, cols] (or [rows, cols, channels]) labelled with its
 * digit as text. An image has at most {@value #MAX_PIXELS} pixels.
 *
 * <p>The headers are checked before any image is read: the sizes they declare must fit the file
 * (or, gzipped, the {@link ParseBudget}'s decompression allowance) and the parsed examples the
 * budget, so an IDX "bomb" is refused at once.
 *
 * <p>Errors are INVALID_ARGUMENT: field "chunk.part" reason MISSING_PART when a part is absent,
 * else field {@code data[images]} or {@code data[labels]} reason INVALID_DATASET_RECORD (corrupt
 * gzip data included); RESOURCE_EXHAUSTED as {@link ParseBudget} says. Stateless and thread-safe.
 */
public final class IdxDatasetParser implements DatasetParser {
  /** The largest image, in pixels (rows × cols), as the vision domain accepts. */
  static final long MAX_PIXELS = 50_000_000L;
  private static final int UBYTE = 0x08;
  private static final Set<Integer> CHANNELS = Set.of(1, 3, 4);

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
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
    try (Part images = Part.open(parts.get("images"), "images", budget);
        Part labels = Part.open(parts.get("labels"), "labels", budget)) {
      int[] imageDims = images.header(3, 4, "count, rows, cols[, channels]");
      int[] labelDims = labels.header(1, 1, "count");
      if (imageDims[0] != labelDims[0]) {
        throw bad("labels", labelDims[0] + " labels for " + imageDims[0] + " images");
      }
      int count = imageDims[0];
      long rows = imageDims[1];
      long cols = imageDims[2];
      long channels = imageDims.length == 4 ? imageDims[3] : 1;
      if (!CHANNELS.contains((int) channels)) {
        throw bad("images", "images have " + channels + " channels; IDX images have 1 (grey), 3 (RGB) or 4 (RGBA)");
      }
      long pixels = rows * cols; // both < 2^31: no overflow
      if (pixels > MAX_PIXELS) {
        throw bad("images", "an image of " + rows + " × " + cols + " pixels is larger than " + MAX_PIXELS + " pixels");
      }
      int imageBytes = (int) (pixels * channels);
      images.requireBody((long) count * imageBytes, "images of " + imageBytes + " bytes", count);
      labels.requireBody(count, "labels of 1 byte", count);
      long[] shape = imageDims.length == 4 ? new long[] {rows, cols, channels} : new long[] {rows, cols};
      budget.charge(ExampleSizes.ARRAY + 8L * count + count * ExampleSizes.tensorExample(imageBytes, shape.length),
          "data[images]");
      List<Example> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        byte[] image = new byte[imageBytes];
        try {
          images.in.readFully(image);
        } catch (EOFException e) {
          throw bad("images", "ends after " + i + " of " + count + " images");
        }
        int label;
        try {
          label = labels.in.readUnsignedByte();
        } catch (EOFException e) {
          throw bad("labels", "ends after " + i + " of " + count + " labels");
        }
        out.add(new Example(new ModelInput.Tensor("uint8", shape.clone(), image), new Target.Label(Integer.toString(label))));
      }
      return out;
    } catch (IOException e) {
      throw RecordErrors.io(e);
    }
  }

  /** One part: its stream (decompressed if gzipped), its size on disk and whether it is gzipped. */
  private static final class Part implements Closeable {
    final DataInputStream in;
    final String name;
    final long fileBytes;
    final boolean gzipped;
    final ParseBudget budget;
    long headerBytes;

    private Part(DataInputStream in, String name, long fileBytes, boolean gzipped, ParseBudget budget) {
      this.in = in;
      this.name = name;
      this.fileBytes = fileBytes;
      this.gzipped = gzipped;
      this.budget = budget;
    }

    static Part open(Path file, String name, ParseBudget budget) throws IOException {
      long size = Files.size(file);
      InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      try {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        boolean gzipped = b0 == 0x1f && b1 == 0x8b;
        if (gzipped) {
          GZIPInputStream gzip;
          try {
            gzip = new GZIPInputStream(in, 1 << 16);
          } catch (ZipException | EOFException e) {
            throw bad(name, "is not valid gzip data (" + e.getMessage() + ")");
          }
          in = new BufferedInputStream(budget.decoding(gzip, size, "data[" + name + "]"), 1 << 16);
        }
        return new Part(new DataInputStream(in), name, size, gzipped, budget);
      } catch (IOException | RuntimeException e) {
        in.close();
        throw e;
      }
    }

    /** Reads the magic number and dimensions: {@code min} to {@code max} of them, each ≥ 1. */
    int[] header(int min, int max, String layout) throws IOException {
      try {
        int magic = in.readInt();
        int type = (magic >>> 8) & 0xff;
        int dims = magic & 0xff;
        if ((magic >>> 16) != 0 || type != UBYTE || dims == 0) {
          throw bad(name, String.format("not an IDX file of unsigned bytes (magic 0x%08x)", magic));
        }
        if (dims < min || dims > max) {
          throw bad(name, "expected " + (min == max ? min + " dimension" + (min == 1 ? "" : "s") : min + " or " + max
              + " dimensions") + " (" + layout + "), found " + dims);
        }
        int[] sizes = new int[dims];
        for (int d = 0; d < dims; d++) {
          sizes[d] = in.readInt();
          if (sizes[d] <= 0) {
            throw bad(name, "dimension " + d + " is " + sizes[d]);
          }
        }
        headerBytes = 4L + 4L * dims;
        return sizes;
      } catch (EOFException e) {
        throw bad(name, "too short for an IDX header");
      }
    }

    /** Refuses a header that declares more bytes than the file holds or may decompress to. */
    void requireBody(long bytes, String what, int count) {
      if (gzipped) {
        budget.requireDecodable(headerBytes + bytes, fileBytes, "data[" + name + "]");
      } else if (bytes > fileBytes - headerBytes) {
        throw bad(name, "the header declares " + count + " " + what + " (" + bytes + " bytes), but the file holds "
            + (fileBytes - headerBytes) + " bytes after its header");
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private static GraftException bad(String part, String message) {
    return GraftException.invalidArgument("data[" + part + "]", RecordErrors.INVALID_DATASET_RECORD, part + ": " + message);
  }
}
