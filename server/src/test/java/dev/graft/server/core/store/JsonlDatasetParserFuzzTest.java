package dev.graft.server.core.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;

/** Fuzz target for JSONL uploads: the input is the file (docs/fuzzing.md; contract in {@link ParserFuzzing}). */
class JsonlDatasetParserFuzzTest {
  private static final JsonlDatasetParser PARSER = new JsonlDatasetParser();

  @FuzzTest(maxDuration = "10s")
  void parse(byte[] data) {
    ParserFuzzing.parse(PARSER, DatasetFormat.JSONL, null, Map.of(), Map.of("", ParserFuzzing.part("", data)));
  }
}
