package dev.graft.bench;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.client.GraftClient;
import dev.graft.client.Inputs;
import dev.graft.server.app.ConfigLoader;
import dev.graft.server.app.GraftServer;
import dev.graft.server.app.ServerComponent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Extract on minilm-l6 through a real Graft server (loopback gRPC) against raw ONNX Runtime on
 * the same sentences in the same run, with 1 and 16 concurrent clients (one sentence per call),
 * and batches of 32. Prints a Markdown table; {@code bench/run-extract} writes it into
 * docs/benchmarks.md.
 *
 * <pre>ExtractBenchmark ASSETS_DIR STORE_DIR [SECONDS_PER_CASE]</pre>
 */
public final class ExtractBenchmark {
  private ExtractBenchmark() {}

  record Measure(String name, int clients, int batch, double perSecond, double p50Ms, double p99Ms) {}

  public static void main(String[] args) throws Exception {
    Path assets = Path.of(args[0]);
    Path store = Path.of(args[1]);
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 20;
    List<String> sentences = sentences(assets);

    GraftServer server = ServerComponent.create(new ConfigLoader(Map.of())
        .load("--port", "0", "--store", store.toString(), "--inference-slots", "16", "--access-log", "false")).server().start();
    List<String> rows = new ArrayList<>();
    try (GraftClient client = GraftClient.builder("localhost:" + server.port()).build();
        RawOrt raw = new RawOrt(store.resolve("models/minilm-l6/1"))) {
      // Warm up both paths.
      run(seconds / 4, 2, 1, sentences, batch -> raw.embed(batch));
      run(seconds / 4, 2, 1, sentences, batch -> graft(client, batch));

      for (int[] c : new int[][] {{1, 1}, {16, 1}, {1, 32}}) {
        Measure r = run(seconds, c[0], c[1], sentences, batch -> raw.embed(batch));
        Measure g = run(seconds, c[0], c[1], sentences, batch -> graft(client, batch));
        rows.add(String.format(Locale.ROOT, "| %d | %d | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f |",
            c[0], c[1], r.perSecond(), g.perSecond(), g.perSecond() / r.perSecond(),
            r.p50Ms(), r.p99Ms(), g.p50Ms(), g.p99Ms()));
      }
    }
    System.out.println("| clients | sentences per call | raw ORT sentences/s | Graft sentences/s | Graft / raw "
        + "| raw p50 / p99 ms | Graft p50 / p99 ms |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    server.shutdown();
  }

  interface Embed {
    void apply(List<String> batch) throws Exception;
  }

  static int graft(GraftClient client, List<String> batch) {
    return client.extract(ExtractRequest.newBuilder().setModel("minilm-l6").addAllInputs(Inputs.texts(batch))
        .setNormalize(true).build()).getFeaturesCount();
  }

  static Measure run(double seconds, int clients, int batch, List<String> sentences, Embed embed)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicInteger next = new AtomicInteger();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Future<List<Long>>> futures = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < clients; t++) {
      futures.add(pool.submit((Callable<List<Long>>) () -> {
        List<Long> latencies = new ArrayList<>();
        while (System.nanoTime() < end) {
          int from = next.getAndAdd(batch) % (sentences.size() - batch);
          long t0 = System.nanoTime();
          embed.apply(sentences.subList(from, from + batch));
          latencies.add(System.nanoTime() - t0);
        }
        return latencies;
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> f : futures) {
      all.addAll(f.get());
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Measure("", clients, batch, all.size() * batch / elapsed,
        sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6);
  }

  static List<String> sentences(Path assets) throws IOException {
    List<String> out = new ArrayList<>();
    for (String set : List.of("yelp", "amazon")) {
      for (String line : Files.readAllLines(assets.resolve("sentiment/" + set + ".jsonl"))) {
        out.add(com.google.gson.JsonParser.parseString(line).getAsJsonObject().get("text").getAsString());
      }
    }
    return out;
  }

  /**
   * The raw engine: the same ONNX file and tokenizer through ONNX Runtime's own Java API, mean
   * pooling and L2 normalisation in plain Java — what Graft does, without Graft.
   */
  static final class RawOrt implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;

    RawOrt(Path modelDir) throws Exception {
      Engine.getEngine("OnnxRuntime");
      env = OrtEnvironment.getEnvironment();
      session = env.createSession(modelDir.resolve("model.onnx").toString(), new OrtSession.SessionOptions());
      tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(modelDir.resolve("tokenizer.json"))
          .optMaxLength(256).optTruncation(true).optPadding(true).build();
    }

    float[][] embed(List<String> batch) throws Exception {
      Encoding[] enc = tokenizer.batchEncode(batch);
      int b = enc.length;
      int s = enc[0].getIds().length;
      long[][] ids = new long[b][];
      long[][] mask = new long[b][];
      long[][] types = new long[b][];
      for (int i = 0; i < b; i++) {
        ids[i] = enc[i].getIds();
        mask[i] = enc[i].getAttentionMask();
        types[i] = enc[i].getTypeIds();
      }
      try (OnnxTensor tIds = OnnxTensor.createTensor(env, ids);
          OnnxTensor tMask = OnnxTensor.createTensor(env, mask);
          OnnxTensor tTypes = OnnxTensor.createTensor(env, types);
          OrtSession.Result out = session.run(Map.of("input_ids", tIds, "attention_mask", tMask,
              "token_type_ids", tTypes))) {
        float[][][] hidden = (float[][][]) out.get(0).getValue();
        float[][] pooled = new float[b][hidden[0][0].length];
        for (int i = 0; i < b; i++) {
          int n = 0;
          for (int t = 0; t < s; t++) {
            if (mask[i][t] == 1) {
              n++;
              for (int d = 0; d < pooled[i].length; d++) {
                pooled[i][d] += hidden[i][t][d];
              }
            }
          }
          double norm = 0;
          for (int d = 0; d < pooled[i].length; d++) {
            pooled[i][d] /= n;
            norm += pooled[i][d] * pooled[i][d];
          }
          float inv = (float) (1 / Math.sqrt(norm));
          for (int d = 0; d < pooled[i].length; d++) {
            pooled[i][d] *= inv;
          }
        }
        return pooled;
      }
    }

    @Override
    public void close() throws ai.onnxruntime.OrtException {
      session.close();
      tokenizer.close();
    }
  }
}
