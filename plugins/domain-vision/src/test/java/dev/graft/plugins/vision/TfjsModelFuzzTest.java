package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.plugins.vision.keras.TfjsLayersModel;
import dev.graft.plugins.vision.keras.UnsupportedModelException;
import dev.graft.spi.BaseModel;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Fuzz targets for the TF.js layers reader and converter (docs/fuzzing.md). An input is the
 * text of {@code model.json}, then a NUL byte, then the bytes written both as the binary shard
 * {@code shard} and as {@code w.js} (so a manifest path "shard" reads the binary and "w" the
 * base64 text of a {@code .js} shard). Contracts: {@link TfjsLayersModel#read} returns a model or
 * throws {@link IOException} or {@link UnsupportedModelException} (its documented exceptions);
 * {@code ConvertedNetwork.open} (what ImportModel and Extract run) throws only a
 * FAILED_PRECONDITION {@link GraftException}. Anything else is a finding.
 */
class TfjsModelFuzzTest {
  private static final Path DIR = tempDir();

  /** The reader alone: model.json and its weight manifest. */
  @FuzzTest(maxDuration = "10s")
  void read(byte[] data) throws IOException {
    write(data);
    try {
      TfjsLayersModel.read(DIR);
    } catch (IOException | UnsupportedModelException expected) {
      // documented refusals
    }
  }

  /** Reading, then converting the feature layers into a DJL block (no engine needed). */
  @FuzzTest(maxDuration = "10s")
  void open(byte[] data) throws IOException {
    write(data);
    try {
      ConvertedNetwork.open(new BaseModel("fuzz@1", DIR, "tfjs-layers", Map.of()));
    } catch (GraftException e) {
      assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind(), e.getMessage());
    }
  }

  // Findings: inputs that broke the contracts above, replayed as regression tests (docs/fuzzing.md).

  private static final String INPUT = "{\"name\":\"in\",\"class_name\":\"InputLayer\","
      + "\"config\":{\"batch_input_shape\":[null,4,4,1]},\"inbound_nodes\":[]}";
  private static final String RELU = "{\"name\":\"out\",\"class_name\":\"ReLU\",\"config\":{},"
      + "\"inbound_nodes\":[[[\"in\",0,0,{}]]]}";

  /** model.json of a functional model: its layers, its input_layers member, its weight manifest. */
  private static String model(String layers, String inputLayers, String manifest) {
    return "{\"modelTopology\":{\"class_name\":\"Model\",\"config\":{\"layers\":[" + layers + "]"
        + inputLayers + "}}" + manifest + "}";
  }

  private static final String IN = ",\"input_layers\":[[\"in\",0,0]]";
  private static final String NO_WEIGHTS = ",\"weightsManifest\":[]";

  /**
   * Found by {@code #read}: a member of model.json missing or of another JSON type made the reader
   * throw NullPointerException, UnsupportedOperationException or NumberFormatException (and
   * ConvertedNetwork.open let them escape instead of FAILED_PRECONDITION).
   */
  @Test
  void findingMissingOrMistypedModelJsonMembers() {
    String[] cases = {
      "{\"modelTopology\":{\"config\":{}}" + NO_WEIGHTS + "}", // no class_name: NPE in read
      "{\"modelTopology\":{\"class_name\":\"Model\",\"config\":{}}" + NO_WEIGHTS + "}", // no layers: NPE
      model("{\"name\":\"in\",\"config\":{}}", IN, NO_WEIGHTS), // layer without class_name: NPE in layer
      model("{\"name\":{},\"class_name\":\"InputLayer\",\"config\":{}}", IN, NO_WEIGHTS), // UOE
      model(INPUT + "," + RELU.replace("0,0,{}", "\"x\",0,{}"), IN, NO_WEIGHTS), // NumberFormatException
      model(INPUT.replace("4,4,1", "4,\"x\",1"), IN, NO_WEIGHTS), // NumberFormatException in inputShape
      model(INPUT, "", NO_WEIGHTS), // no input_layers: NPE
      model(INPUT, IN, ""), // no weightsManifest: NPE
      model(INPUT, IN, ",\"weightsManifest\":[{\"paths\":[\"shard\"],\"weights\":[{\"name\":\"w\","
          + "\"dtype\":\"float32\"}]}]"), // weight without shape: NPE in readGroup
      model(INPUT, IN, ",\"weightsManifest\":[{\"paths\":[\"shard\"],\"weights\":[{\"name\":\"w\","
          + "\"shape\":[1]}]}]") + "\u0000\u0000\u0000\u0000\u0000", // weight without dtype: NPE in values
    };
    assertAll(Stream.of(cases).map(json -> (Executable) () -> read(bytes(json))));
    assertAll(Stream.of(cases).map(json -> (Executable) () -> open(bytes(json))));
  }

  /**
   * Found by {@code #open}: an input layer whose class_name is not InputLayer made
   * KerasGraphBlock.channels throw ArrayIndexOutOfBoundsException from ConvertedNetwork.open.
   */
  @Test
  void findingInputLayerOfAnotherClass() throws IOException {
    open(bytes(model(INPUT.replace("InputLayer", "ReLU") + "," + RELU, IN, NO_WEIGHTS)));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void write(byte[] data) throws IOException {
    int nul = 0;
    while (nul < data.length && data[nul] != 0) {
      nul++;
    }
    Files.write(DIR.resolve("model.json"), Arrays.copyOf(data, nul));
    byte[] shard = nul < data.length ? Arrays.copyOfRange(data, nul + 1, data.length) : new byte[0];
    Files.write(DIR.resolve("shard"), shard);
    Files.write(DIR.resolve("w.js"), shard);
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("graft-fuzz-tfjs");
      dir.toFile().deleteOnExit();
      for (String name : new String[] {"model.json", "shard", "w.js"}) {
        dir.resolve(name).toFile().deleteOnExit();
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
