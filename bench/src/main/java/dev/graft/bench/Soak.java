package dev.graft.bench;

import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Hyperparameters;
import dev.graft.api.v1.Image;
import dev.graft.api.v1.InlineExamples;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.Task;
import dev.graft.api.v1.TrainRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.GraftException;
import dev.graft.client.Inputs;
import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.imageio.ImageIO;

/**
 * The soak: many clients mixing every kind of work against one real server process for a long
 * time, while the server's resident memory is sampled. It answers two questions a short test
 * cannot: does memory level off under a steady mix (no leak per call, per upload, per job), and
 * does anything fail that should not (every answer is either success, an expected refusal of a
 * deliberately bad request, or load shedding with {@code RESOURCE_EXHAUSTED}).
 *
 * <p>Clients take roles in turn (client {@code i} has role {@code i % 16}): text Extract on two
 * models (some texts far longer than the model reads), Predict on a trained model, image Extract,
 * uploads that are read back and deleted, training jobs cycling the three strategies (each
 * watched to its end, its model queried and deleted), listings, and deliberately bad requests
 * whose code and reason are known. {@code bench/soak} starts the server and writes the report;
 * it exits 1 when any call ended in an error (CI runs a one-minute soak).
 *
 * <pre>Soak TARGET SERVER_PID ASSETS_DIR OUT_DIR MINUTES CLIENTS</pre>
 */
public final class Soak {
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
  private static final String REFERENCE = "soak-reference";
  /** Cheap calls (listings, bad requests) pause this long between calls, or they would be most of the load. */
  private static final Duration THINK_TIME = Duration.ofMillis(50);

  private final GraftClient client;
  private final long serverPid;
  private final List<String> sentences;
  private final List<Example> labelled;
  private final boolean vision;
  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
  private final AtomicLong jobsStarted = new AtomicLong();
  private final AtomicLong jobsFinished = new AtomicLong();
  private static final List<String> STRATEGIES = List.of("feature-extraction", "knowledge-transfer", "fine-tuning");

  private Soak(GraftClient client, long serverPid, Path assets) throws IOException {
    this.client = client;
    this.serverPid = serverPid;
    this.sentences = new ArrayList<>();
    this.labelled = new ArrayList<>();
    for (String set : List.of("yelp", "amazon")) {
      for (String line : Files.readAllLines(assets.resolve("sentiment/" + set + ".jsonl"))) {
        var json = JsonParser.parseString(line).getAsJsonObject();
        String text = json.get("text").getAsString();
        sentences.add(text);
        labelled.add(Inputs.labelled(text, json.get("label").getAsString()));
      }
    }
    Collections.shuffle(labelled, new java.util.Random(7));
    this.vision = client.listModels().stream().anyMatch(m -> m.getName().equals("efficientnet-lite0-96"));
  }

  public static void main(String[] args) throws Exception {
    String target = args[0];
    long pid = Long.parseLong(args[1]);
    Path assets = Path.of(args[2]);
    Path out = Path.of(args[3]);
    double minutes = Double.parseDouble(args[4]);
    int clients = Integer.parseInt(args[5]);
    Files.createDirectories(out);
    long errors;
    try (GraftClient client = GraftClient.builder(target).deadline(Duration.ofMinutes(5)).build()) {
      Soak soak = new Soak(client, pid, assets);
      soak.prepare();
      soak.run(minutes, clients, out);
      errors = soak.tallies.values().stream().mapToLong(Tally::errorCount).sum();
    }
    if (errors > 0) {
      System.err.println("soak: " + errors + " error(s); see the report above");
      System.exit(1);
    }
  }

  /** Trains the model that Predict clients query. */
  private void prepare() {
    try {
      client.deleteModel(REFERENCE);
    } catch (GraftException e) {
      if (e.code() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
    Job job = client.train(trainRequest("feature-extraction", REFERENCE, 400));
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(20), e -> {});
    if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
      throw new IllegalStateException("the reference model did not train: " + done.getError());
    }
  }

  private void run(double minutes, int clients, Path out) throws Exception {
    long start = System.nanoTime();
    long end = start + (long) (minutes * 60e9);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Role role = Role.values()[i % Role.values().length];
      int id = i;
      Thread thread = new Thread(() -> work(role, id, end), "soak-" + i);
      thread.start();
      threads.add(thread);
    }
    Thread sampler = new Thread(() -> sample(start), "soak-sampler");
    sampler.setDaemon(true);
    sampler.start();
    for (Thread t : threads) {
      t.join();
    }
    sampler.interrupt();
    sampleOnce(start);
    Files.write(out.resolve("rss.csv"), (header() + String.join("\n", samples) + "\n").getBytes(StandardCharsets.UTF_8));
    try (PrintWriter report = new PrintWriter(Files.newBufferedWriter(out.resolve("report.md")))) {
      report(report, minutes, clients);
    }
    System.out.print(Files.readString(out.resolve("report.md")));
  }

  // ------------------------------------------------------------------------------------------
  // The roles

  enum Role {
    EXTRACT_TEXT, EXTRACT_TEXT_LONG, PREDICT, EXTRACT_IMAGE, UPLOAD, TRAIN, LIST, BAD_REQUEST,
    EXTRACT_TEXT_2, PREDICT_2, EXTRACT_BGE, EXTRACT_TEXT_3, PREDICT_3, EXTRACT_IMAGE_2, EXTRACT_TEXT_4, LIST_2;

    String kind() {
      return name().replaceAll("_\\d$", "").toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private void work(Role role, int id, long end) {
    SplittableRandom random = new SplittableRandom(id);
    int round = 0;
    while (System.nanoTime() < end) {
      String kind = role.kind();
      if (kind.equals("extract-image") && !vision) {
        kind = "extract-text";
      }
      Tally tally = tallies.computeIfAbsent(kind, k -> new Tally());
      long t0 = System.nanoTime();
      try {
        call(kind, random, "soak-" + id + "-" + round++);
        tally.ok(System.nanoTime() - t0);
      } catch (GraftException e) {
        tally.failed(e, kind.equals("bad-request"));
      } catch (RuntimeException e) {
        tally.failed(e);
      }
      if (kind.equals("list") || kind.equals("bad-request")) {
        pause(THINK_TIME);
      }
    }
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One call (or one short sequence) of a kind; {@code name} names what it creates. */
  private void call(String kind, SplittableRandom random, String name) {
    switch (kind) {
      case "extract-text" -> extract("minilm-l6", texts(random, 1 + random.nextInt(16)));
      case "extract-bge" -> extract("bge-small-en", texts(random, 1 + random.nextInt(8)));
      case "extract-text-long" -> {
        List<String> texts = texts(random, 2);
        texts.set(0, longText(random, 20_000 + random.nextInt(200_000)));
        extract("minilm-l6", texts);
      }
      case "predict" -> client.predict(REFERENCE, Inputs.texts(texts(random, 1 + random.nextInt(8))), 2);
      case "extract-image" -> {
        List<Input> images = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
          images.add(Inputs.image(png(random, 48 + random.nextInt(200), 48 + random.nextInt(200))));
        }
        client.extract(ExtractRequest.newBuilder().setModel("efficientnet-lite0-96").addAllInputs(images).build());
      }
      case "upload" -> upload(random, name);
      case "train" -> train(name);
      case "list" -> {
        client.listModels();
        client.listDatasets();
        client.listJobs();
        client.serverInfo();
      }
      case "bad-request" -> badRequest(random.nextInt(5));
      default -> throw new IllegalArgumentException(kind);
    }
  }

  private void extract(String model, List<String> texts) {
    client.extract(ExtractRequest.newBuilder().setModel(model).addAllInputs(Inputs.texts(texts)).setNormalize(true).build());
  }

  private void upload(SplittableRandom random, String name) {
    int from = random.nextInt(labelled.size() - 300);
    var dataset = client.uploadExamples(name, "nlp", labelled.subList(from, from + 300));
    if (client.getDataset(dataset.getId()).getExamples() != 300) {
      throw new IllegalStateException("dataset " + name + " does not hold 300 examples");
    }
    client.deleteDataset(dataset.getId());
  }

  /** One job, strategies in turn, watched to its end; its model answers one Predict, then goes. */
  private void train(String model) {
    String strategy = STRATEGIES.get((int) (jobsStarted.getAndIncrement() % STRATEGIES.size()));
    Job job = client.train(trainRequest(strategy, model, strategy.equals("feature-extraction") ? 300 : 64));
    Job done = client.awaitJob(job.getId(), Duration.ofMinutes(30), e -> {});
    jobsFinished.incrementAndGet();
    if (done.getState() != JobState.JOB_STATE_SUCCEEDED) {
      throw new IllegalStateException(strategy + " job " + job.getId() + " ended " + done.getState() + ": " + done.getError());
    }
    client.predict(model, Inputs.texts(List.of("a lovely little place", "never again")), 1);
    client.deleteModel(model);
  }

  private TrainRequest trainRequest(String strategy, String output, int examples) {
    return TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy(strategy).setOutputModel(output)
        .setTask(Task.TASK_CLASSIFICATION)
        .setTrain(DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(labelled.subList(0, examples))))
        .setValidationSplit(0.2f)
        .setHyperparameters(Hyperparameters.newBuilder().setEpochs(strategy.equals("feature-extraction") ? 20 : 1)
            .setBatchSize(16).setSeed(7))
        .build();
  }

  /** A request that must be refused with a precise code and reason (the report lists them). */
  private void badRequest(int which) {
    switch (which) {
      case 0 -> client.predict("soak-no-such-model", Inputs.texts(List.of("x")), 1);
      case 1 -> client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").build());
      case 2 -> client.extract(ExtractRequest.newBuilder().setModel("efficientnet-lite0-96")
          .addInputs(Input.newBuilder().setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(pngHeader(60_000, 60_000)))))
          .build());
      case 3 -> client.train(TrainRequest.newBuilder().setBaseModel("minilm-l6").setStrategy("feature-extraction")
          .setOutputModel("soak-bad").setHyperparameters(Hyperparameters.newBuilder().setEpochs(Integer.MAX_VALUE))
          .setTrain(DataSource.newBuilder().setExamples(InlineExamples.newBuilder().addAllExamples(labelled.subList(0, 8))))
          .build());
      default -> client.predict(REFERENCE, List.of(Inputs.series(Float.NaN, 1f)), 1);
    }
    throw new IllegalStateException("bad request " + which + " was accepted");
  }

  // ------------------------------------------------------------------------------------------
  // Inputs

  private List<String> texts(SplittableRandom random, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(sentences.get(random.nextInt(sentences.size())));
    }
    return out;
  }

  private String longText(SplittableRandom random, int chars) {
    StringBuilder text = new StringBuilder(chars + 200);
    while (text.length() < chars) {
      text.append(sentences.get(random.nextInt(sentences.size()))).append(' ');
    }
    return text.toString();
  }

  private static byte[] png(SplittableRandom random, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(0x1000000));
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", bytes);
    } catch (IOException impossible) {
      throw new java.io.UncheckedIOException(impossible);
    }
    return bytes.toByteArray();
  }

  /** A PNG signature and IHDR that claim a {@code width × height} image, and nothing else. */
  private static byte[] pngHeader(int width, int height) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(33);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    b.putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(b.array(), 12, 17);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  // ------------------------------------------------------------------------------------------
  // Accounting

  /** What happened to the calls of one kind. */
  static final class Tally {
    private static final Set<String> SHEDDING = Set.of("QUEUE_FULL", "INFERENCE_BUSY", "RATE_LIMITED");
    final LongAdder ok = new LongAdder();
    final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    final Map<String, LongAdder> refusedAsExpected = new ConcurrentHashMap<>();
    final Map<String, LongAdder> shed = new ConcurrentHashMap<>();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();
    void ok(long nanos) {
      ok.increment();
      latencies.add(nanos);
    }

    /** A refusal: load shedding, the expected answer to a bad request, or an error. */
    void failed(GraftException e, boolean badRequest) {
      String key = e.code() + " " + e.reason();
      if (e.code() == Status.Code.RESOURCE_EXHAUSTED && SHEDDING.contains(e.reason())) {
        shed.computeIfAbsent(key, k -> new LongAdder()).increment();
      } else if (badRequest && e.code() != Status.Code.UNKNOWN
          && e.code() != Status.Code.INTERNAL && e.code() != Status.Code.UNAVAILABLE && !e.reason().isEmpty()) {
        refusedAsExpected.computeIfAbsent(key, k -> new LongAdder()).increment();
      } else {
        error(key, e.getMessage());
      }
    }

    void failed(RuntimeException e) {
      error(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    }

    private void error(String key, String message) {
      errors.computeIfAbsent(key, k -> new LongAdder()).increment();
      if (examples.size() < 5) {
        examples.add(key + ": " + (message.length() > 300 ? message.substring(0, 300) + "…" : message));
      }
    }

    long errorCount() {
      return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }
  }

  private void sample(long start) {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        sampleOnce(start);
        Thread.sleep(SAMPLE_EVERY.toMillis());
      }
    } catch (InterruptedException done) {
      Thread.currentThread().interrupt();
    }
  }

  private static String header() {
    return "seconds,rss_mb,threads,calls,errors,jobs_finished,heap_used_mb\n";
  }

  private void sampleOnce(long start) {
    long rssKb = -1;
    long threads = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + serverPid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          rssKb = Long.parseLong(line.replaceAll("\\D", ""));
        } else if (line.startsWith("Threads:")) {
          threads = Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException gone) {
      // The server exited: the sample says so with -1.
    }
    long calls = tallies.values().stream().mapToLong(t -> t.ok.sum() + t.errorCount()
        + t.shed.values().stream().mapToLong(LongAdder::sum).sum()
        + t.refusedAsExpected.values().stream().mapToLong(LongAdder::sum).sum()).sum();
    long errors = tallies.values().stream().mapToLong(Tally::errorCount).sum();
    samples.add(String.format(Locale.ROOT, "%.0f,%.1f,%d,%d,%d,%d,%.1f", (System.nanoTime() - start) / 1e9,
        rssKb / 1024.0, threads, calls, errors, jobsFinished.get(), heapUsedMb()));
  }

  /** The server's used heap from {@code jstat -gc} (survivors, eden, old), or -1. */
  private double heapUsedMb() {
    try {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstat").toString(), "-gc",
          Long.toString(serverPid)).redirectErrorStream(true).start();
      List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      p.waitFor();
      List<String> names = List.of(lines.get(0).trim().split("\\s+"));
      String[] values = lines.get(1).trim().split("\\s+");
      double kb = 0;
      for (String column : List.of("S0U", "S1U", "EU", "OU")) {
        kb += Double.parseDouble(values[names.indexOf(column)]);
      }
      return kb / 1024;
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private void report(PrintWriter out, double minutes, int clients) {
    List<double[]> rows = samples.stream().map(s -> java.util.Arrays.stream(s.split(",")).mapToDouble(Double::parseDouble).toArray()).toList();
    out.printf(Locale.ROOT, "Soak: %d clients, %.0f minutes, server pid %d.%n%n", clients, minutes, serverPid);
    out.println("| kind | ok | ok p50 / p99 ms | refused as expected | shed (RESOURCE_EXHAUSTED) | errors |");
    out.println("|---|---|---|---|---|---|");
    long totalErrors = 0;
    for (var e : new TreeMap<>(tallies).entrySet()) {
      Tally t = e.getValue();
      long[] sorted = t.latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      String latency = sorted.length == 0 ? "–" : String.format(Locale.ROOT, "%.0f / %.0f",
          sorted[sorted.length / 2] / 1e6, sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6);
      out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", e.getKey(), t.ok.sum(), latency,
          counts(t.refusedAsExpected), counts(t.shed), counts(t.errors));
      totalErrors += t.errorCount();
    }
    out.println();
    out.printf(Locale.ROOT, "Errors: %d. Training jobs finished: %d.%n", totalErrors, jobsFinished.get());
    for (Tally t : tallies.values()) {
      t.examples.forEach(x -> out.println("- " + x));
    }
    out.println();
    out.println("| minute | server RSS MB | heap used MB | threads | calls so far | errors so far |");
    out.println("|---|---|---|---|---|---|");
    double nextMinute = 0;
    for (double[] r : rows) {
      if (r[0] / 60 >= nextMinute || r == rows.get(rows.size() - 1)) {
        out.printf(Locale.ROOT, "| %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", r[0] / 60, r[1], r[6], r[2], r[3], r[4]);
        nextMinute = Math.floor(r[0] / 60 / 3) * 3 + 3;
      }
    }
    double peak = rows.stream().mapToDouble(r -> r[1]).max().orElse(-1);
    List<double[]> secondHalf = rows.subList(rows.size() / 2, rows.size());
    out.printf(Locale.ROOT, "%nPeak RSS %.0f MB; over the second half RSS moved %+.1f MB per 10 minutes (least squares).%n",
        peak, slope(secondHalf) * 600);
  }

  private static String counts(Map<String, LongAdder> counts) {
    if (counts.isEmpty()) {
      return "0";
    }
    StringBuilder s = new StringBuilder();
    new TreeMap<>(counts).forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(v.sum()).append(" ").append(k));
    return s.toString();
  }

  /** Least-squares slope of RSS (MB) over seconds. */
  private static double slope(List<double[]> rows) {
    double n = rows.size();
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (double[] r : rows) {
      sx += r[0];
      sy += r[1];
      sxx += r[0] * r[0];
      sxy += r[0] * r[1];
    }
    double d = n * sxx - sx * sx;
    return d == 0 ? 0 : (n * sxy - sx * sy) / d;
  }
}
