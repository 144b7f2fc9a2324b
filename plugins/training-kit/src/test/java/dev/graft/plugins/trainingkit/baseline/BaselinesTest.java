package dev.graft.plugins.trainingkit.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.Example;
import dev.graft.spi.MetricValue;
import dev.graft.spi.ModelInput;
import dev.graft.spi.Target;
import dev.graft.spi.Task;
import dev.graft.spi.TaskSpec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Baselines on data whose raw inputs decide the answer, and data where they cannot. */
class BaselinesTest {
  private static final TaskSpec SENTIMENT = new TaskSpec(Task.CLASSIFICATION, List.of("negative", "positive"));
  private static final String[] GOOD = {"great", "lovely", "wonderful", "superb", "delicious"};
  private static final String[] BAD = {"awful", "rude", "cold", "terrible", "bland"};

  @Test
  void textBaselinesLearnWordsAndTheMajorityIsTheFloor() {
    Random random = new Random(1);
    List<Example> train = reviews(300, 0.7, random);
    List<Example> validation = reviews(100, 0.7, random);
    Map<String, Double> m = byName(Baselines.metrics(SENTIMENT, train, validation, 7));
    assertTrue(m.get("baseline.majority.accuracy") > 0.55 && m.get("baseline.majority.accuracy") < 0.85, m.toString());
    assertTrue(m.get("baseline.logistic.accuracy") > 0.95, "the words decide the label: " + m);
    assertTrue(m.get("baseline.logistic.macro_f1") > 0.9, m.toString());
  }

  @Test
  void imageBaselinesLearnPixels() throws Exception {
    Random random = new Random(2);
    TaskSpec task = new TaskSpec(Task.CLASSIFICATION, List.of("dark", "light"));
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      boolean light = random.nextBoolean();
      (i < 80 ? train : validation).add(new Example(new ModelInput.Image(png(light, random)),
          new Target.Label(light ? "light" : "dark")));
    }
    Map<String, Double> m = byName(Baselines.metrics(task, train, validation, 3));
    assertTrue(m.get("baseline.logistic.accuracy") > 0.95, m.toString());
  }

  @Test
  void imageRegressionStaysFiniteWithRarePixelsAndLargeImagesGetNoPixelBaseline() throws Exception {
    Random random = new Random(6);
    TaskSpec task = new TaskSpec(Task.REGRESSION, List.of());
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      boolean light = random.nextBoolean();
      byte[] png = i % 97 == 0 ? speck(random) : png(light, random); // a pixel almost never set
      (i < 300 ? train : validation).add(new Example(new ModelInput.Image(png), new Target.Value(light ? 10 : 2)));
    }
    Map<String, Double> m = byName(Baselines.metrics(task, train, validation, 9));
    assertTrue(Double.isFinite(m.get("baseline.ridge.rmse")) && m.get("baseline.ridge.rmse") < m.get("baseline.mean.rmse"),
        m.toString());
    BufferedImage large = new BufferedImage(300, 300, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(large, "png", out);
    List<Example> big = List.of(new Example(new ModelInput.Image(out.toByteArray()), new Target.Label("dark")),
        new Example(new ModelInput.Image(out.toByteArray()), new Target.Label("light")));
    assertEquals(List.of("baseline.majority.accuracy"), Baselines.metrics(new TaskSpec(Task.CLASSIFICATION,
        List.of("dark", "light")), big, big, 1).stream().map(MetricValue::name).toList());
  }

  private static byte[] speck(Random random) throws Exception {
    BufferedImage image = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xffffff);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @Test
  void regressionOnWordsBeatsTheMean() {
    Random random = new Random(3);
    TaskSpec task = new TaskSpec(Task.REGRESSION, List.of());
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int stars = 1 + random.nextInt(5);
      String text = "stars " + "x".repeat(stars) + " " + (stars >= 4 ? GOOD[i % 5] : BAD[i % 5]);
      (i < 300 ? train : validation).add(new Example(new ModelInput.Text(text, ""), new Target.Value(stars)));
    }
    Map<String, Double> m = byName(Baselines.metrics(task, train, validation, 5));
    assertTrue(m.get("baseline.ridge.rmse") < 0.7 * m.get("baseline.mean.rmse"), m.toString());
  }

  @Test
  void theVerdictSpeaksOnlyWhenTheModelLoses() {
    List<MetricValue> baselines = List.of(new MetricValue("baseline.majority.accuracy", 0.6, "validation", 0),
        new MetricValue("baseline.logistic.accuracy", 0.84, "validation", 0));
    Optional<String> lost = Baselines.verdict(List.of(new MetricValue("accuracy", 0.79, "validation", 0)), baselines,
        SENTIMENT);
    assertTrue(lost.isPresent() && lost.get().contains("logistic regression") && lost.get().contains("0.8400")
        && lost.get().contains("0.7900"), lost.toString());
    assertEquals(Optional.empty(), Baselines.verdict(List.of(new MetricValue("accuracy", 0.9, "validation", 0)),
        baselines, SENTIMENT));
    assertEquals(List.of(), Baselines.metrics(SENTIMENT, reviews(10, 0.5, new Random(4)), List.of(), 1),
        "no validation split, no baseline");
  }

  private static List<Example> reviews(int n, double positiveShare, Random random) {
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean positive = random.nextDouble() < positiveShare;
      String[] words = positive ? GOOD : BAD;
      String text = "the food was " + words[random.nextInt(5)] + " and the staff " + words[random.nextInt(5)];
      out.add(new Example(new ModelInput.Text(text, ""), new Target.Label(positive ? "positive" : "negative")));
    }
    return out;
  }

  private static byte[] png(boolean light, Random random) throws Exception {
    BufferedImage image = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 20; y++) {
      for (int x = 0; x < 20; x++) {
        int v = Math.max(0, Math.min(255, (light ? 170 : 70) + random.nextInt(61) - 30));
        image.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static Map<String, Double> byName(List<MetricValue> metrics) {
    return metrics.stream().collect(Collectors.toMap(MetricValue::name, MetricValue::value));
  }
}
