package dev.graft.server.telemetry;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape of {@code /metrics}, parsed with Prometheus' own protobuf exposition schema
 * ({@code io.prometheus.client.MetricFamily}, length-delimited): what Prometheus reads.
 */
public record Scrape(Map<String, Metrics.MetricFamily> families) {
  static final String PROTOBUF = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

  public static Scrape of(int port) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).header("Accept", PROTOBUF).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new AssertionError("/metrics answered " + response.statusCode() + ": " + new String(response.body()));
    }
    Map<String, Metrics.MetricFamily> families = new LinkedHashMap<>();
    ByteArrayInputStream in = new ByteArrayInputStream(response.body());
    while (in.available() > 0) {
      Metrics.MetricFamily family = Metrics.MetricFamily.parseDelimitedFrom(in);
      families.put(family.getName(), family);
    }
    return new Scrape(families);
  }

  Metrics.MetricFamily family(String name) {
    Metrics.MetricFamily f = families.get(name);
    if (f == null) {
      throw new AssertionError("no metric family " + name + " in " + families.keySet());
    }
    return f;
  }

  /** The value of the sample of {@code name} with these labels ("k", "v", ...), 0 if absent. */
  public double value(String name, String... labels) {
    Metrics.MetricFamily f = families.get(name);
    if (f == null) {
      return 0;
    }
    for (Metrics.Metric m : f.getMetricList()) {
      if (matches(m, labels)) {
        return switch (f.getType()) {
          case COUNTER -> m.getCounter().getValue();
          case GAUGE -> m.getGauge().getValue();
          case HISTOGRAM -> m.getHistogram().getSampleCount();
          default -> throw new AssertionError(name + " is a " + f.getType());
        };
      }
    }
    return 0;
  }

  /** The sum of a histogram's observations with these labels. */
  public double histogramSum(String name, String... labels) {
    for (Metrics.Metric m : family(name).getMetricList()) {
      if (matches(m, labels)) {
        return m.getHistogram().getSampleSum();
      }
    }
    return 0;
  }

  private static boolean matches(Metrics.Metric m, String... labels) {
    Map<String, String> have = new LinkedHashMap<>();
    m.getLabelList().forEach(l -> have.put(l.getName(), l.getValue()));
    for (int i = 0; i < labels.length; i += 2) {
      if (!labels[i + 1].equals(have.get(labels[i]))) {
        return false;
      }
    }
    return true;
  }

  /** Every label value of every sample, as name=value. */
  List<String> labelValues() {
    return families.values().stream().flatMap(f -> f.getMetricList().stream())
        .flatMap(m -> m.getLabelList().stream()).map(l -> l.getName() + "=" + l.getValue()).toList();
  }
}
