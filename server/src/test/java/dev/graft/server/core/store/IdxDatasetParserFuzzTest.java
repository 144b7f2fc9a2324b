package dev.graft.server.core.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;

/**
 * Fuzz target for IDX uploads (docs/fuzzing.md; contract in {@link ParserFuzzing}). An input is a
 * 4-byte big-endian length n, then n bytes of the {@code images} part (plain or gzipped), then the
 * {@code labels} part.
 */
class IdxDatasetParserFuzzTest {
  private static final IdxDatasetParser PARSER = new IdxDatasetParser();

  @FuzzTest(maxDuration = "10s")
  void parse(byte[] data) {
    int n = data.length < 4 ? 0 : ByteBuffer.wrap(data).getInt();
    int from = Math.min(4, data.length);
    int split = from + Math.min(Math.max(n, 0), data.length - from);
    ParserFuzzing.parse(PARSER, DatasetFormat.IDX, null, Map.of(), Map.of(
        "images", ParserFuzzing.part("images", Arrays.copyOfRange(data, from, split)),
        "labels", ParserFuzzing.part("labels", Arrays.copyOfRange(data, split, data.length))));
  }
}
