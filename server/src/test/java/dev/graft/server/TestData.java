package dev.graft.server;

import dev.graft.api.v1.Example;
import dev.graft.client.Inputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The data tests use: the sentiment sentences fetched by scripts/fetch-assets, and small inline sets. */
public final class TestData {
  private TestData() {}

  /** The assets folder; fails with a clear message when scripts/fetch-assets was not run. */
  public static Path assets() {
    Path dir = Path.of(System.getProperty("graft.assets", "../assets"));
    if (!Files.isRegularFile(dir.resolve("sentiment/yelp.jsonl"))) {
      throw new IllegalStateException("test data missing in " + dir.toAbsolutePath()
          + ": run scripts/fetch-assets first (the README's test command does)");
    }
    return dir;
  }

  /** The 2,000 yelp + amazon sentences as the JSONL lines fetched. */
  public static List<String> sentimentLines() throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(assets().resolve("sentiment/yelp.jsonl")));
    lines.addAll(Files.readAllLines(assets().resolve("sentiment/amazon.jsonl")));
    return lines;
  }

  /** One line as (text, label). */
  public record Labelled(String text, String label) {}

  public static Labelled parse(String line) {
    var json = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
    return new Labelled(json.get("text").getAsString(), json.get("label").getAsString());
  }

  /** A small, clearly separable two-class text set, for fast tests. */
  public static List<Example> tinySentiment() {
    String[] positive = {"I loved it", "great food and lovely staff", "excellent, would come again",
        "wonderful experience", "the best phone I ever had", "works perfectly, very happy",
        "amazing quality", "fantastic service"};
    String[] negative = {"I hated it", "terrible food and rude staff", "awful, never again",
        "horrible experience", "the worst phone I ever had", "broke after a day, very unhappy",
        "poor quality", "disgusting service"};
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < positive.length; i++) {
      out.add(Inputs.labelled(positive[i], "positive"));
      out.add(Inputs.labelled(negative[i], "negative"));
    }
    return out;
  }
}
