package dev.graft.plugins.nlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.graft.spi.GraftException;
import dev.graft.spi.ModelInput;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tokenization and padding with MiniLM's tokenizer, set up as the encoder sets it up. */
class TokenBatchTest {

  private static HuggingFaceTokenizer tokenizer;

  @BeforeAll
  static void open() throws Exception {
    Path json = Path.of(TokenBatchTest.class.getResource(BuiltinEncoders.MINILM_TOKENIZER).toURI());
    tokenizer = HuggingFaceTokenizer.builder()
        .optTokenizerPath(json)
        .optMaxLength(8)
        .optTruncation(true)
        .optPadding(false)
        .build();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void padsToTheLongestAndMarksPairSegments() {
    TokenBatch batch = TokenBatch.encode(tokenizer, List.of(
        new ModelInput.Text(""), new ModelInput.Text("hello world", "hi")));
    assertEquals(2, batch.size());
    assertEquals(6, batch.length()); // [CLS] hello world [SEP] hi [SEP]
    long cls = 101;
    long sep = 102;
    assertEquals(cls, batch.ids()[0]);
    assertEquals(sep, batch.ids()[1]);
    assertArrayEquals(new long[] {1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, batch.mask());
    assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, batch.typeIds());
    assertEquals(0, batch.ids()[2]);
  }

  @Test
  void truncatesToMaxLength() {
    TokenBatch batch = TokenBatch.encode(tokenizer, List.of(new ModelInput.Text("a ".repeat(50))));
    assertEquals(8, batch.length());
    assertEquals(102, batch.ids()[7]);
  }

  @Test
  void aHugeTextIsCutBeforeTokenizingWithTheSameTokensAsItsStart() {
    String page = "The quick brown fox jumps over the lazy dog. ";
    String huge = page.repeat((10 << 20) / page.length()); // 10 MB
    TokenBatch cut = TokenBatch.encode(tokenizer, List.of(new ModelInput.Text(huge, huge)), 8, 0, 0);
    TokenBatch start = TokenBatch.encode(tokenizer, List.of(new ModelInput.Text(page.repeat(3), page.repeat(3))));
    assertArrayEquals(start.ids(), cut.ids());
    assertArrayEquals(start.typeIds(), cut.typeIds());
  }

  @Test
  void withTruncationOffAnOverlongTextIsRefusedBeforeTokenizing() {
    String huge = "word ".repeat(1 << 20);
    GraftException e = assertThrows(GraftException.class,
        () -> TokenBatch.encode(tokenizer, List.of(new ModelInput.Text("ok"), new ModelInput.Text(huge)), 8, 8, 4));
    assertEquals("INPUT_TOO_LONG", e.reason());
    assertEquals("inputs[5]", e.field());
  }

  @Test
  void theCutNeverSplitsASurrogatePair() {
    String emoji = "\uD83D\uDE00";
    assertEquals("ab", TokenBatch.cut("ab" + emoji, 3));
    assertEquals("ab" + emoji, TokenBatch.cut("ab" + emoji + "c", 4));
  }

}
