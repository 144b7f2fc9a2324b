package dev.graft.plugins.finetuning;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory (Linux {@code /proc/self/status} VmRSS). */
final class ResidentMemory {
  private ResidentMemory() {}

  /**
   * VmRSS in MB after full GCs (which also free the direct buffers DJL hands to tensors) and a
   * short wait for the cleaner thread.
   */
  static long afterGc() throws IOException, InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return megabytes();
  }

  static long megabytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }
}
