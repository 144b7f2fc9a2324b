package dev.graft.plugins.timeseries.pretrain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public series of npm vega-datasets@3.2.1 (BSD-3), read from the folder
 * {@code scripts/fetch-assets} fills ({@code assets/vega-datasets/}). Some go into the pretraining
 * corpus; others are held out for the transfer benchmark and never seen in pretraining.
 * Stateless and thread-safe.
 */
public final class RealSeries {
  private RealSeries() {}

  /** A named series, its sampling period in words, and its natural season (0 = none). */
  public record Named(String name, String frequency, int season, float[] values) {}

  /** The pretraining corpus's real series: S&P 500 close, MSFT/AMZN/IBM prices, Seattle rain and wind. */
  public static List<Named> corpus(Path dir) throws IOException {
    List<Named> out = new ArrayList<>();
    out.add(new Named("sp500.close", "daily (trading days)", 5, column(dir.resolve("sp500-2000.csv"), "close")));
    Map<String, float[]> stocks = stocks(dir.resolve("stocks.csv"));
    for (String s : List.of("MSFT", "AMZN", "IBM")) {
      out.add(new Named("stocks." + s, "monthly", 12, stocks.get(s)));
    }
    out.add(new Named("seattle.precipitation", "daily", 7, column(dir.resolve("seattle-weather.csv"), "precipitation")));
    out.add(new Named("seattle.wind", "daily", 7, column(dir.resolve("seattle-weather.csv"), "wind")));
    return out;
  }

  /** Held out of pretraining: Mauna Loa CO2, Seattle daily maximum and minimum temperature, AAPL. */
  public static List<Named> heldOut(Path dir) throws IOException {
    Map<String, float[]> stocks = stocks(dir.resolve("stocks.csv"));
    return List.of(
        new Named("co2.monthly", "monthly", 12, column(dir.resolve("co2-concentration.csv"), "CO2")),
        new Named("seattle.temp_max", "daily", 7, column(dir.resolve("seattle-weather.csv"), "temp_max")),
        new Named("stocks.AAPL", "monthly", 12, stocks.get("AAPL")),
        new Named("seattle.temp_min", "daily", 7, column(dir.resolve("seattle-weather.csv"), "temp_min")));
  }

  static float[] column(Path file, String name) throws IOException {
    List<String> lines = read(file);
    int index = List.of(lines.get(0).split(",")).indexOf(name);
    if (index < 0) {
      throw new IOException(file + " has no column " + name);
    }
    float[] out = new float[lines.size() - 1];
    for (int i = 1; i < lines.size(); i++) {
      out[i - 1] = Float.parseFloat(lines.get(i).split(",")[index]);
    }
    return out;
  }

  static Map<String, float[]> stocks(Path file) throws IOException {
    Map<String, List<Float>> bySymbol = new LinkedHashMap<>();
    List<String> lines = read(file);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      bySymbol.computeIfAbsent(f[0], k -> new ArrayList<>()).add(Float.parseFloat(f[2]));
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    bySymbol.forEach((k, v) -> {
      float[] a = new float[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      out.put(k, a);
    });
    return out;
  }

  private static List<String> read(Path file) throws IOException {
    try {
      List<String> lines = new ArrayList<>();
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!l.isBlank()) {
          lines.add(l);
        }
      }
      return lines;
    } catch (NoSuchFileException e) {
      throw new IOException(file + " is missing: run scripts/fetch-assets first", e);
    }
  }
}
