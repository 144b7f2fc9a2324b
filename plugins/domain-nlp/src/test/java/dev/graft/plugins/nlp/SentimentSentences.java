package dev.graft.plugins.nlp;

import dev.graft.spi.ModelInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The yelp + amazon sentences fetched by scripts/fetch-assets (assets/sentiment/*.jsonl). */
final class SentimentSentences {
  private static final Pattern TEXT = Pattern.compile("\"text\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private SentimentSentences() {}

  /** The first {@code limit} sentences of yelp then amazon, in file order (all: 2,000). */
  static List<ModelInput> load(int limit) throws IOException {
    Path dir = Path.of(System.getProperty("graft.assets", "../../assets"), "sentiment");
    if (!Files.isRegularFile(dir.resolve("yelp.jsonl"))) {
      throw new IllegalStateException("test data missing in " + dir.toAbsolutePath()
          + ": run scripts/fetch-assets first");
    }
    List<ModelInput> out = new ArrayList<>();
    for (String set : List.of("yelp.jsonl", "amazon.jsonl")) {
      for (String line : Files.readAllLines(dir.resolve(set))) {
        if (out.size() == limit) {
          return out;
        }
        Matcher m = TEXT.matcher(line);
        if (!m.find()) {
          throw new IllegalStateException("no text in " + set + " line: " + line);
        }
        out.add(new ModelInput.Text(unescape(m.group(1))));
      }
    }
    return out;
  }

  private static String unescape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 == s.length()) {
        b.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> b.append(e);
      }
    }
    return b.toString();
  }
}
