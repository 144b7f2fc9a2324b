package dev.graft.server;

import dev.graft.server.core.store.s3.S3BlobStore;
import dev.graft.server.core.store.s3.S3Location;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real MinIO server for tests: the {@code minio} binary started on a free loopback port with a
 * temporary data folder and a random root user and password, a bucket created, stopped (and its data
 * deleted) on {@link #close}. One per test class is plenty: tests keep apart by prefix.
 *
 * <p>The binary: {@code $GRAFT_MINIO}, else {@code minio} on the PATH, else {@code
 * $(go env GOPATH)/bin/minio} (default {@code ~/go/bin/minio}), i.e. what {@code go install
 * github.com/minio/minio@latest} builds (.ci/run does). When none is found the calling test is
 * skipped, unless {@code GRAFT_REQUIRE_SERVICES=1} (CI), where it fails.
 */
public final class MinioServer implements AutoCloseable {
  public static final String REGION = "us-east-1";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Path home;
  private final Process process;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private final String bucket;
  private final S3BlobStore store;

  private MinioServer(Path binary, String bucket) throws IOException {
    this.home = Files.createTempDirectory("graft-minio-");
    this.bucket = bucket;
    SecureRandom random = new SecureRandom();
    this.accessKey = "graft" + hex(random, 6);
    this.secretKey = hex(random, 20);
    Path log = home.resolve("minio.log");
    Process started = null;
    int chosen = -1;
    for (int attempt = 0; attempt < 3 && started == null; attempt++) {
      chosen = freePort();
      ProcessBuilder pb = new ProcessBuilder(binary.toString(), "server", home.resolve("data").toString(),
          "--address", "127.0.0.1:" + chosen, "--console-address", "127.0.0.1:" + freePort(), "--quiet")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().put("MINIO_ROOT_USER", accessKey);
      pb.environment().put("MINIO_ROOT_PASSWORD", secretKey);
      pb.environment().put("MINIO_BROWSER", "off");
      pb.environment().put("MINIO_UPDATE", "off");
      pb.environment().put("MINIO_CI_CD", "on");
      Process p = pb.start();
      if (waitReady(p, chosen)) {
        started = p;
      } else {
        p.destroyForcibly();
      }
    }
    if (started == null) {
      String tail = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
      deleteTree(home);
      throw new IllegalStateException("MinIO (" + binary + ") did not become ready within " + READY_TIMEOUT
          + "; its log:\n" + tail.substring(Math.max(0, tail.length() - 4000)));
    }
    this.process = started;
    this.port = chosen;
    try (S3Client admin = client()) {
      admin.createBucket(r -> r.bucket(bucket));
    }
    this.store = newStore("test");
  }

  /** Starts MinIO with a bucket named "graft", or skips the test (fails it in CI) when absent. */
  public static MinioServer start() throws IOException {
    return start("graft");
  }

  public static MinioServer start(String bucket) throws IOException {
    Path binary = binary();
    if (binary == null) {
      String how = "MinIO is not installed: install Go, then `go install github.com/minio/minio@latest` "
          + "(puts it in ~/go/bin/minio), or set GRAFT_MINIO to a minio binary";
      if ("1".equals(System.getenv("GRAFT_REQUIRE_SERVICES"))) {
        throw new IllegalStateException(how + " (GRAFT_REQUIRE_SERVICES=1: required here)");
      }
      Assumptions.abort(how);
    }
    return new MinioServer(binary, bucket);
  }

  /** The binary this machine would run, or null. */
  public static Path binary() {
    String explicit = System.getenv("GRAFT_MINIO");
    if (explicit != null && !explicit.isBlank()) {
      Path p = Path.of(explicit);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("GRAFT_MINIO=" + explicit + " is not an executable file");
      }
      return p;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "minio"))) {
          return Path.of(dir, "minio");
        }
      }
    }
    List<Path> candidates = new ArrayList<>();
    String gopath = goPath();
    if (gopath != null) {
      for (String dir : gopath.split(java.io.File.pathSeparator)) {
        candidates.add(Path.of(dir, "bin", "minio"));
      }
    }
    candidates.add(Path.of(System.getProperty("user.home"), "go", "bin", "minio"));
    for (Path p : candidates) {
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  public String bucket() {
    return bucket;
  }

  /** A store on the bucket under prefix "test"; closed with the server. */
  public S3BlobStore store() {
    return store;
  }

  /** A new store under {@code prefix} ("" for none) of the bucket; the caller closes it. */
  public S3BlobStore newStore(String prefix) {
    return newStore(new S3Location(bucket, prefix), S3BlobStore.Options.DEFAULTS);
  }

  /** A new store at {@code location} with {@code options}; the caller closes it. */
  public S3BlobStore newStore(S3Location location, S3BlobStore.Options options) {
    return new S3BlobStore(location, endpoint(), accessKey, secretKey, REGION, options);
  }

  /** A raw S3 client on this server, for what the blob API does not offer; the caller closes it. */
  public S3Client client() {
    return S3Client.builder()
        .httpClient(UrlConnectionHttpClient.builder().build())
        .region(Region.of(REGION))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
        .endpointOverride(endpoint())
        .forcePathStyle(true)
        .build();
  }

  /** The environment a Graft server would be given to use this MinIO (AWS_ENDPOINT_URL, keys, region). */
  public java.util.Map<String, String> environment() {
    return java.util.Map.of("AWS_ENDPOINT_URL", endpoint().toString(), "AWS_ACCESS_KEY_ID", accessKey,
        "AWS_SECRET_ACCESS_KEY", secretKey, "AWS_REGION", REGION);
  }

  /** Kills the server at once (SIGKILL), as a crash would; {@link #close} still cleans up. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    store.close();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteTree(home);
  }

  private static boolean waitReady(Process p, int port) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    URI live = URI.create("http://127.0.0.1:" + port + "/minio/health/live");
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        return false;
      }
      try {
        HttpURLConnection c = (HttpURLConnection) live.toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int code = c.getResponseCode();
        c.disconnect();
        if (code == 200) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private static String goPath() {
    String env = System.getenv("GOPATH");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      Process p = new ProcessBuilder("go", "env", "GOPATH").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty() ? out : null;
    } catch (IOException e) {
      return null; // no Go
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static String hex(SecureRandom random, int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void deleteTree(Path root) {
    try (var walk = Files.walk(root)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort: a temp folder
    }
  }
}
