package com.example.graft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/plugins.md shows this module's strategy word for word, so the documented example is the tested one. */
class DocumentedExampleTest {

  @Test
  void docsShowThisStrategy() throws Exception {
    String doc = Files.readString(Path.of("../../docs/plugins.md"));
    Matcher block = Pattern.compile(
        "<!-- example: file src/main/java/com/example/graft/NearestCentroidStrategy.java -->\n```java\n(.*?)```\n",
        Pattern.DOTALL).matcher(doc);
    assertTrue(block.find(), "docs/plugins.md has the strategy's block");
    assertEquals(Files.readString(Path.of("src/main/java/com/example/graft/NearestCentroidStrategy.java")),
        block.group(1));
  }
}
