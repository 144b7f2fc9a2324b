package dev.graft.plugins.vision.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fuzz targets for the torch.save reader (docs/fuzzing.md). Contract: {@link TorchStateDict#read}
 * returns tensors whose value count matches their shape, or throws an {@link IOException}
 * ({@link TorchFormatException}, or the EOF and zip errors of a damaged file), which
 * StateDictNetwork reports as FAILED_PRECONDITION. Any other throwable, an OutOfMemoryError under
 * the fuzz heap included, is a finding. Under {@code mvn test} only the seeds in
 * {@code TorchStateDictFuzzTestInputs/} run.
 */
class TorchStateDictFuzzTest {
  private static final Path FILE = tempFile();

  /** A whole file: zip or legacy format (the reader tells them by their first bytes). */
  @FuzzTest(maxDuration = "10s")
  void stateDict(byte[] data) throws IOException {
    Files.write(FILE, data);
    Map<String, TorchTensor> tensors;
    try {
      tensors = TorchStateDict.read(FILE);
    } catch (IOException expected) {
      return;
    }
    for (Map.Entry<String, TorchTensor> e : tensors.entrySet()) {
      TorchTensor t = e.getValue();
      int values = t.isFloat() ? t.floats().length : t.longs().length;
      assertEquals(t.size(), values, e.getKey() + " " + t);
    }
  }

  /** One pickle, as the legacy format's five pickles and the zip format's data.pkl are read. */
  @FuzzTest(maxDuration = "10s")
  void pickle(byte[] data) {
    try {
      new PickleMachine(new ByteArrayInputStream(data)).load();
    } catch (IOException expected) {
      // TorchFormatException (reason PICKLE_LIMIT for a bomb) or EOFException
    }
  }

  private static Path tempFile() {
    try {
      Path dir = Files.createTempDirectory("graft-fuzz-torch");
      dir.toFile().deleteOnExit();
      Path file = dir.resolve("model.pt");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
