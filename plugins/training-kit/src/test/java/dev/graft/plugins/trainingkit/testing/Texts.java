package dev.graft.plugins.trainingkit.testing;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.Example;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Test data and the built-in MiniLM, opened through the nlp domain as the server would. */
public final class Texts {
  private Texts() {}

  public static DomainPlugin nlp() {
    return ServiceLoader.load(DomainPlugin.class).stream().map(ServiceLoader.Provider::get)
        .filter(d -> d.id().equals("nlp")).findFirst().orElseThrow();
  }

  /** The built-in {@code name} copied into {@code dir}, as the server stores it. */
  public static BaseModel builtin(String name, Path dir) throws IOException {
    BuiltinModel b = nlp().builtinModels().stream().filter(m -> m.name().equals(name))
        .findFirst().orElseThrow();
    Files.createDirectories(dir);
    for (BuiltinModel.File f : b.files()) {
      try (InputStream in = f.opener().open()) {
        Files.copy(in, dir.resolve(f.name()));
      }
    }
    return new BaseModel(name + "@1", dir, b.format(), b.properties());
  }

  public static Backbone open(BaseModel base) {
    return nlp().openBackbone(base, Device.cpu());
  }

  public static Example labelled(String text, String label) {
    return new Example(new ModelInput.Text(text), new Target.Label(label));
  }

  /** 24 short, clearly positive or negative sentences, alternating. */
  public static List<Example> sentiment() {
    String[] positive = {"I loved it", "great food and lovely staff", "excellent, would come again",
        "wonderful experience", "the best phone I ever had", "works perfectly, very happy",
        "amazing quality", "fantastic service", "a delight from start to finish",
        "superb value and friendly people", "highly recommended", "beautiful and well made"};
    String[] negative = {"I hated it", "terrible food and rude staff", "awful, never again",
        "horrible experience", "the worst phone I ever had", "broke after a day, very unhappy",
        "poor quality", "disgusting service", "a waste of money", "cold food and slow service",
        "do not buy this", "cheap and badly made"};
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < positive.length; i++) {
      out.add(labelled(positive[i], "positive"));
      out.add(labelled(negative[i], "negative"));
    }
    return out;
  }

  /** The yelp + amazon sentences fetched by scripts/fetch-assets, or null when absent. */
  public static List<Example> assets() throws IOException {
    Path dir = Path.of(System.getProperty("graft.assets", "../../assets"), "sentiment");
    if (!Files.isRegularFile(dir.resolve("yelp.jsonl"))) {
      return null;
    }
    List<Example> out = new ArrayList<>();
    for (String set : List.of("yelp", "amazon")) {
      for (String line : Files.readAllLines(dir.resolve(set + ".jsonl"))) {
        var json = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
        out.add(labelled(json.get("text").getAsString(), json.get("label").getAsString()));
      }
    }
    return out;
  }

  public static Device cpu() {
    return Device.cpu();
  }
}
