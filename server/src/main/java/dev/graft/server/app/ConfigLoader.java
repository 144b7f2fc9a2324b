package dev.graft.server.app;

import dev.graft.server.core.Limits;
import dev.graft.server.core.jobs.ClusterJobs;
import dev.graft.server.core.store.s3.S3Location;
import dev.graft.server.core.store.sql.DatabaseCredentials;
import dev.graft.server.core.store.sql.DatabaseUrl;
import dev.graft.server.security.SecuritySettings;
import dev.graft.spi.GraftException;
import dev.graft.server.security.TokensFile;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * Builds a {@link ServerConfig} from four layers, later ones winning: embedded defaults, a
 * properties file ({@code --config FILE} or {@code GRAFT_CONFIG}), environment variables
 * ({@code GRAFT_PORT}, {@code GRAFT_STORE}, ...) and command-line flags ({@code --port 8080} or
 * {@code --port=8080}). Every key has the same name in each layer: {@code max-inputs-per-request}
 * is the flag {@code --max-inputs-per-request}, the variable {@code GRAFT_MAX_INPUTS_PER_REQUEST}
 * and the file key {@code max-inputs-per-request}.
 *
 * <p>Pools are {@code pools=default=cpu;gpus=gpu:0,gpu:1}. A bad value fails with a
 * {@link ConfigException} naming the key, its source and the reason.
 */
public final class ConfigLoader {

  /** Every key the server understands, with its default. */
  static final Map<String, String> DEFAULTS = defaults();

  private final Map<String, String> environment;

  public ConfigLoader(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("port", "50051");
    d.put("store", "./graft-data");
    d.put("blob-store", "");
    d.put("work-dir", "");
    d.put("store-password-file", "");
    d.put("blob-cache-bytes", String.valueOf(10L << 30));
    d.put("store-pool-size", "8");
    d.put("lost-job-policy", "resume");
    d.put("max-job-attempts", "3");
    d.put("store-unavailable-grace-seconds", "30");
    d.put("pools", "default=cpu");
    d.put("default-pool", "default");
    d.put("training-slots", "1");
    d.put("inference-slots", "2");
    d.put("queue-capacity", "64");
    d.put("max-inbound-message-bytes", String.valueOf(64 * 1024 * 1024));
    d.put("max-inputs-per-request", "1024");
    d.put("plugin-dir", "");
    d.put("strict-plugins", "false");
    d.put("shutdown-grace-seconds", "30");
    d.put("address", "");
    d.put("insecure-no-auth", "false");
    d.put("tls-cert", "");
    d.put("tls-key", "");
    d.put("tls-client-ca", "");
    d.put("credentials-refresh-seconds", "10");
    d.put("auth-tokens-file", "");
    d.put("auth-token", "");
    d.put("auth-token-file", "");
    d.put("allow-code-imports", "false");
    d.put("rate-limit-per-second", "200");
    d.put("rate-limit-burst", "400");
    d.put("max-dataset-bytes", String.valueOf(1L << 30));
    d.put("max-datasets-per-principal", "100");
    d.put("min-free-disk-bytes", String.valueOf(1L << 30));
    d.put("max-import-parts", "64");
    d.put("max-import-bytes", String.valueOf(4L << 30));
    d.put("upload-idle-timeout-seconds", "60");
    d.put("keep-checkpoints", "best");
    d.put("checkpoint-max-age-days", "7");
    d.put("max-jobs-per-principal", "16");
    d.put("replica-id", "");
    d.put("access-log", "true");
    d.put("max-batch", "32");
    d.put("keepalive-time-seconds", "60");
    d.put("keepalive-timeout-seconds", "20");
    d.put("permit-keepalive-time-seconds", "10");
    d.put("max-connection-age-seconds", "300");
    d.put("max-connection-age-grace-seconds", "3600");
    d.put("http-port", "8080");
    d.put("http-address", "");
    d.put("metrics", "true");
    d.put("tracing", "");
    d.put("log-format", "text");
    d.put("model-memory-budget", "");
    return Map.copyOf(d);
  }

  /** Loads the configuration for these command-line arguments. */
  public ServerConfig load(String... args) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> sources = new LinkedHashMap<>();
    DEFAULTS.keySet().forEach(k -> sources.put(k, "default"));

    Map<String, String> flags = parseFlags(args);
    String configFile = flags.getOrDefault("config", environment.getOrDefault("GRAFT_CONFIG", ""));
    if (!configFile.isEmpty()) {
      readFile(Path.of(configFile)).forEach((k, v) -> put(values, sources, k, v, "file " + configFile));
    }
    for (String key : DEFAULTS.keySet()) {
      String env = environment.get(envName(key));
      if (env != null) {
        put(values, sources, key, env, "environment " + envName(key));
      }
    }
    flags.forEach((k, v) -> {
      if (!k.equals("config")) {
        put(values, sources, k, v, "flag --" + k);
      }
    });
    return build(values, sources);
  }

  static String envName(String key) {
    return "GRAFT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void put(
      Map<String, String> values, Map<String, String> sources, String key, String value, String source) {
    if (!DEFAULTS.containsKey(key)) {
      throw new ConfigException("unknown setting '" + key + "' (from " + source + "); known settings: "
          + String.join(", ", DEFAULTS.keySet()));
    }
    values.put(key, value.trim());
    sources.put(key, source);
  }

  private static Map<String, String> parseFlags(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException("unexpected argument '" + arg + "': flags look like --port 50051");
      }
      String body = arg.substring(2);
      int eq = body.indexOf('=');
      if (eq >= 0) {
        flags.put(body.substring(0, eq), body.substring(eq + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        flags.put(body, args[++i]);
      } else if (body.equals("strict-plugins") || body.equals("insecure-no-auth")
          || body.equals("allow-code-imports")) {
        flags.put(body, "true");
      } else {
        throw new ConfigException("flag --" + body + " needs a value");
      }
    }
    return flags;
  }

  private static Map<String, String> readFile(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  private ServerConfig build(Map<String, String> v, Map<String, String> src) {
    Value in = new Value(v, src);
    SecuritySettings security = security(in, v, src);
    Map<String, String> pools = in.get("pools", ConfigLoader::parsePools);
    String defaultPool = in.get("default-pool", s -> {
      if (!pools.containsKey(s)) {
        throw new IllegalArgumentException("no pool named '" + s + "' in pools " + pools.keySet());
      }
      return s;
    });
    String replica = v.get("replica-id").isEmpty() ? hostName() : in.get("replica-id", s -> {
      if (!s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
        throw new IllegalArgumentException("use 1 to 63 characters from A-Z, a-z, 0-9, '.', '_' and '-' (it is sent"
            + " in the x-graft-replica header)");
      }
      return s;
    });
    return new ServerConfig(
        in.intIn("port", 0, 65535),
        localStore(in, v, src),
        pools,
        defaultPool,
        in.intIn("training-slots", 1, 64),
        in.intIn("inference-slots", 1, 256),
        in.intIn("queue-capacity", 1, 100_000),
        in.intIn("max-inbound-message-bytes", 1024, Integer.MAX_VALUE),
        in.intIn("max-inputs-per-request", 1, 1_000_000),
        in.get("plugin-dir", s -> s.isEmpty() ? Optional.<Path>empty() : Optional.of(Path.of(s))),
        in.get("strict-plugins", ConfigLoader::parseBoolean),
        Duration.ofSeconds(in.intIn("shutdown-grace-seconds", 0, 3600)),
        security,
        limits(in),
        replica,
        in.get("access-log", ConfigLoader::parseBoolean),
        in.intIn("max-batch", 1, 4096),
        new ServerConfig.Connections(
            Duration.ofSeconds(in.intIn("keepalive-time-seconds", 1, 86_400)),
            Duration.ofSeconds(in.intIn("keepalive-timeout-seconds", 1, 3600)),
            Duration.ofSeconds(in.intIn("permit-keepalive-time-seconds", 1, 86_400)),
            Duration.ofSeconds(in.intIn("max-connection-age-seconds", 0, 31_536_000)),
            Duration.ofSeconds(in.intIn("max-connection-age-grace-seconds", 0, 31_536_000))),
        observability(in, v, src, security),
        v.get("model-memory-budget").isEmpty() ? defaultModelMemoryBudget()
            : in.longIn("model-memory-budget", 1L << 20, Long.MAX_VALUE),
        sharedStore(in, v, src));
  }

  /**
   * The local folder: {@code store} itself for the local store; {@code work-dir} (default
   * {@code ./graft-work}) when {@code store} names a database.
   */
  private static Path localStore(Value in, Map<String, String> v, Map<String, String> src) {
    if (DatabaseUrl.isDatabase(v.get("store"))) {
      String work = v.get("work-dir").isEmpty() ? "./graft-work" : v.get("work-dir");
      return Path.of(work).toAbsolutePath().normalize();
    }
    if (!v.get("work-dir").isEmpty()) {
      throw new ConfigException("work-dir (from " + src.get("work-dir") + ") applies to a shared store only"
          + " (store=postgresql://…); the local store keeps its working files in the store folder");
    }
    return in.get("store", s -> {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("must not be empty");
      }
      return Path.of(s).toAbsolutePath().normalize();
    });
  }

  /** The shared store, when {@code store} names a database; it then needs {@code blob-store}. */
  private Optional<ServerConfig.SharedStore> sharedStore(Value in, Map<String, String> v,
      Map<String, String> src) {
    if (!DatabaseUrl.isDatabase(v.get("store"))) {
      if (!v.get("blob-store").isEmpty()) {
        throw new ConfigException("blob-store (from " + src.get("blob-store") + ") needs a shared store: set"
            + " store=postgresql://host[:port]/database too, or leave blob-store unset for the local store");
      }
      return Optional.empty();
    }
    if (v.get("blob-store").isEmpty()) {
      throw new ConfigException("store " + v.get("store").replaceAll("//[^@/]*@", "//…@") + " (from "
          + src.get("store") + ") is a database: set blob-store=s3://bucket/prefix for the models' and datasets'"
          + " files");
    }
    return Optional.of(new ServerConfig.SharedStore(
        in.get("store", DatabaseUrl::parse),
        in.get("store-password-file", ConfigLoader::readableFile),
        in.get("blob-store", ConfigLoader::s3Location),
        in.longIn("blob-cache-bytes", 1L << 20, Long.MAX_VALUE),
        in.intIn("store-pool-size", 2, 256),
        in.get("lost-job-policy", ClusterJobs.LostJobPolicy::parse),
        in.intIn("max-job-attempts", 1, 100),
        Duration.ofSeconds(in.intIn("store-unavailable-grace-seconds", 1, 3600)),
        backendEnvironment()));
  }

  /** The variables the shared store's backends read: {@code AWS_*} and the database password. */
  private Map<String, String> backendEnvironment() {
    Map<String, String> out = new LinkedHashMap<>();
    environment.forEach((k, val) -> {
      if (k.startsWith("AWS_") || k.equals(DatabaseCredentials.PASSWORD_ENV)) {
        out.put(k, val);
      }
    });
    return out;
  }

  private static S3Location s3Location(String text) {
    try {
      return S3Location.parse(text);
    } catch (GraftException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Half of the machine's (or the container's) memory, at least 1 GiB: models live mostly outside
   * the Java heap (engine memory), so the heap size is not the measure.
   */
  static long defaultModelMemoryBudget() {
    long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getTotalMemorySize();
    return Math.max(1L << 30, total / 2);
  }

  /**
   * The HTTP listener, metrics, tracing and log format. {@code http-port} defaults to 8080, or to
   * 0 (any free port) when the gRPC port is 0, so that test and side-by-side servers never collide;
   * {@code http-address} defaults to the gRPC address (so loopback without credentials).
   * {@code tracing} defaults to {@code otlp} when {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or its
   * traces variant) is set, else {@code off}.
   */
  private ServerConfig.Observability observability(Value in, Map<String, String> v, Map<String, String> src,
      SecuritySettings security) {
    int httpPort = src.get("http-port").equals("default") && v.get("port").equals("0") ? 0
        : in.intIn("http-port", -1, 65535);
    String httpAddress = v.get("http-address").isEmpty() ? security.address() : v.get("http-address");
    if (httpPort != ServerConfig.Observability.HTTP_OFF && !security.authEnabled() && !security.insecureNoAuth()
        && !isLoopback(httpAddress)) {
      throw new ConfigException("http-address " + httpAddress + " (from " + src.get("http-address") + ") is reachable"
          + " from other machines but no authentication is configured: set auth-tokens-file (or GRAFT_AUTH_TOKEN),"
          + " or insecure-no-auth=true to serve anyone who can reach it");
    }
    boolean otelEndpoint = environment.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
        || environment.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    ServerConfig.Tracing tracing = v.get("tracing").isEmpty()
        ? (otelEndpoint ? ServerConfig.Tracing.OTLP : ServerConfig.Tracing.OFF)
        : in.get("tracing", s -> switch (s.toLowerCase(Locale.ROOT)) {
          case "otlp" -> ServerConfig.Tracing.OTLP;
          case "off", "none" -> ServerConfig.Tracing.OFF;
          default -> throw new IllegalArgumentException("expected otlp or off");
        });
    boolean json = in.get("log-format", s -> switch (s.toLowerCase(Locale.ROOT)) {
      case "json" -> true;
      case "text" -> false;
      default -> throw new IllegalArgumentException("expected text or json");
    });
    return new ServerConfig.Observability(httpPort, httpAddress, in.get("metrics", ConfigLoader::parseBoolean),
        tracing, json);
  }

  private static SecuritySettings security(Value in, Map<String, String> v, Map<String, String> src) {
    Optional<Path> cert = in.get("tls-cert", ConfigLoader::readableFile);
    Optional<Path> key = in.get("tls-key", ConfigLoader::readableFile);
    Optional<Path> clientCa = in.get("tls-client-ca", ConfigLoader::readableFile);
    if (cert.isPresent() != key.isPresent()) {
      throw new ConfigException("tls-cert and tls-key go together: set both (PEM certificate chain and PKCS#8 key)"
          + " or neither");
    }
    if (clientCa.isPresent() && cert.isEmpty()) {
      throw new ConfigException("tls-client-ca (mTLS) needs TLS: set tls-cert and tls-key too");
    }
    String token = v.get("auth-token");
    Optional<Path> tokenFile = in.get("auth-token-file", ConfigLoader::readableFile);
    if (tokenFile.isPresent()) {
      if (!token.isEmpty()) {
        throw new ConfigException("set auth-token or auth-token-file, not both");
      }
      token = in.get("auth-token-file", s -> readToken(Path.of(s)));
    } else if (!token.isEmpty() && src.get("auth-token").startsWith("flag")) {
      System.getLogger(ConfigLoader.class.getName()).log(System.Logger.Level.WARNING,
          "auth-token was given on the command line, where every local user can read it (ps);"
              + " use GRAFT_AUTH_TOKEN, auth-token-file or auth-tokens-file instead");
    }
    Optional<Path> tokensFile = in.get("auth-tokens-file", ConfigLoader::readableFile);
    tokensFile.ifPresent(f -> {
      try {
        TokensFile.read(f);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("auth-tokens-file (from " + src.get("auth-tokens-file") + "): " + e.getMessage());
      }
    });
    boolean auth = tokensFile.isPresent() || !token.isEmpty();
    if (clientCa.isPresent() && !auth) {
      throw new ConfigException("tls-client-ca (mTLS) needs auth-tokens-file: its 'NAME ROLE subject=DN' lines say"
          + " which certificate subjects are which principals");
    }
    SecuritySettings settings = new SecuritySettings(
        in.get("address", s -> s.isEmpty() ? (auth ? "0.0.0.0" : "127.0.0.1") : s),
        in.get("insecure-no-auth", ConfigLoader::parseBoolean),
        cert, key, clientCa,
        Duration.ofSeconds(in.intIn("credentials-refresh-seconds", 1, 86_400)),
        tokensFile,
        token,
        in.get("allow-code-imports", ConfigLoader::parseBoolean),
        in.intIn("rate-limit-per-second", 0, 1_000_000),
        in.intIn("rate-limit-burst", 1, 10_000_000));
    if (!settings.authEnabled() && !settings.insecureNoAuth() && !isLoopback(settings.address())) {
      throw new ConfigException("address " + settings.address() + " (from " + src.get("address") + ") is reachable"
          + " from other machines but no authentication is configured: set auth-tokens-file (or GRAFT_AUTH_TOKEN),"
          + " or insecure-no-auth=true to serve anyone who can reach it");
    }
    return settings;
  }

  private static Limits limits(Value in) {
    return new Limits(
        in.longIn("max-dataset-bytes", 1, Long.MAX_VALUE),
        in.intIn("max-datasets-per-principal", 1, 1_000_000),
        in.longIn("min-free-disk-bytes", 0, Long.MAX_VALUE),
        in.intIn("max-import-parts", 1, 10_000),
        in.longIn("max-import-bytes", 1, Long.MAX_VALUE),
        Duration.ofSeconds(in.intIn("upload-idle-timeout-seconds", 1, 86_400)),
        in.get("keep-checkpoints", Limits.KeepCheckpoints::parse),
        Duration.ofDays(in.intIn("checkpoint-max-age-days", 0, 36_500)),
        in.intIn("max-jobs-per-principal", 1, 100_000));
  }

  private static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException("address '" + address + "' is not an IP address or a known host name");
    }
  }

  private static Optional<Path> readableFile(String s) {
    if (s.isEmpty()) {
      return Optional.empty();
    }
    Path p = Path.of(s).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException("not a readable file");
    }
    return Optional.of(p);
  }

  private static String readToken(Path file) {
    try {
      String token = Files.readString(file).strip();
      if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new IllegalArgumentException("the file must hold one token of printable ASCII characters");
      }
      return token;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read it: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> parsePools(String spec) {
    Map<String, String> pools = new LinkedHashMap<>();
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException("'" + entry + "' is not NAME=DEVICES (e.g. default=cpu;gpus=gpu:0,gpu:1)");
      }
      String name = entry.substring(0, eq).trim();
      if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
        throw new IllegalArgumentException("pool name '" + name + "' must be lower-case letters, digits, - or _");
      }
      if (pools.put(name, entry.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("pool '" + name + "' is defined twice");
      }
    }
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("at least one pool is needed (e.g. default=cpu)");
    }
    return pools;
  }

  private static boolean parseBoolean(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("expected true or false");
    };
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "graft";
    }
  }

  /** Reads one key, turning a parse failure into a message naming the key and its source. */
  private record Value(Map<String, String> values, Map<String, String> sources) {
    <T> T get(String key, Function<String, T> parser) {
      String raw = values.get(key);
      try {
        return parser.apply(raw);
      } catch (RuntimeException e) {
        // a URL's user:password never reaches a log or a terminal
        String shown = raw == null ? null : raw.replaceAll("//([^:/@]*):[^@/]*@", "//$1:…@");
        throw new ConfigException("invalid value '" + shown + "' for " + key + " (from " + sources.get(key)
            + "): " + e.getMessage());
      }
    }

    long longIn(String key, long min, long max) {
      return get(key, s -> {
        long n;
        try {
          n = Long.parseLong(s);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("expected a whole number in " + min + ".." + max, e);
        }
        if (n < min || n > max) {
          throw new IllegalArgumentException("expected a whole number in " + min + ".." + max);
        }
        return n;
      });
    }

    int intIn(String key, int min, int max) {
      return get(key, s -> {
        int n;
        try {
          n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("expected a whole number in " + min + ".." + max, e);
        }
        if (n < min || n > max) {
          throw new IllegalArgumentException("expected a whole number in " + min + ".." + max);
        }
        return n;
      });
    }
  }
}
