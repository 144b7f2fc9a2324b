package dev.graft.server.api;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.graft.server.core.Echo;
import dev.graft.server.core.store.DatasetParser;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.server.core.store.ParseBudget;
import dev.graft.spi.Example;
import dev.graft.spi.GraftException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses the EXAMPLES format: length-delimited {@code graft.v1.Example} messages (what
 * {@code writeDelimitedTo} writes), checked as inline examples are ({@link InputMapper}); it takes
 * no options. It lives at the edge because it reads API messages.
 */
public final class ExamplesDatasetParser implements DatasetParser {

  @Override
  public List<Example> parse(Map<String, Path> parts, DatasetSpecRecord spec, ParseBudget budget) {
    Path main = parts.get("");
    for (String part : parts.keySet()) {
      if (!part.isEmpty()) {
        throw GraftException.invalidArgument("chunk.part", "UNEXPECTED_PART",
            "EXAMPLES datasets have one unnamed part, not " + Echo.quote(part));
      }
    }
    if (main == null) {
      return List.of();
    }
    List<Example> out = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(main))) {
      long remaining = Files.size(main);
      for (int i = 0; ; i++) {
        String field = "data[example " + i + "]";
        int first = in.read();
        if (first < 0) {
          return out;
        }
        long size;
        try {
          size = CodedInputStream.readRawVarint32(first, in) & 0xffffffffL;
        } catch (IOException e) {
          throw GraftException.invalidArgument(field, "INVALID_DATASET_RECORD",
              "example " + i + ": not a length-delimited graft.v1.Example (a broken length prefix)");
        }
        remaining -= com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag((int) size);
        if (size > remaining) {
          throw GraftException.invalidArgument(field, "INVALID_DATASET_RECORD", "example " + i + " declares "
              + size + " bytes but only " + Math.max(0, remaining) + " remain: not a length-delimited graft.v1.Example");
        }
        byte[] bytes = in.readNBytes((int) size);
        if (bytes.length < size) {
          throw GraftException.invalidArgument(field, "INVALID_DATASET_RECORD", "example " + i + " declares "
              + size + " bytes but the data ends after " + bytes.length);
        }
        remaining -= size;
        dev.graft.api.v1.Example message;
        try {
          message = dev.graft.api.v1.Example.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
          throw GraftException.invalidArgument(field, "INVALID_DATASET_RECORD",
              "example " + i + ": not a length-delimited graft.v1.Example (" + e.getMessage() + ")");
        }
        Example example = InputMapper.example(message, field);
        budget.add(example, field);
        out.add(example);
      }
    } catch (IOException e) {
      throw GraftException.internal("STORE_IO", "cannot read the uploaded examples: " + e.getMessage(), e);
    }
  }
}
