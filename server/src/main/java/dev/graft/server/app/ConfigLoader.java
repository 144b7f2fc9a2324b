package dev.graft.server.app;

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
    d.put("auth-token", "");
    d.put("replica-id", "");
    d.put("access-log", "true");
    d.put("max-batch", "32");
    d.put("keepalive-time-seconds", "60");
    d.put("keepalive-timeout-seconds", "20");
    d.put("permit-keepalive-time-seconds", "10");
    d.put("max-connection-age-seconds", "300");
    d.put("max-connection-age-grace-seconds", "3600");
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
      } else if (body.equals("strict-plugins")) {
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
        in.get("store", s -> {
          if (s.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
          }
          return Path.of(s).toAbsolutePath().normalize();
        }),
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
        v.get("auth-token"),
        replica,
        in.get("access-log", ConfigLoader::parseBoolean),
        in.intIn("max-batch", 1, 4096),
        new ServerConfig.Connections(
            Duration.ofSeconds(in.intIn("keepalive-time-seconds", 1, 86_400)),
            Duration.ofSeconds(in.intIn("keepalive-timeout-seconds", 1, 3600)),
            Duration.ofSeconds(in.intIn("permit-keepalive-time-seconds", 1, 86_400)),
            Duration.ofSeconds(in.intIn("max-connection-age-seconds", 0, 31_536_000)),
            Duration.ofSeconds(in.intIn("max-connection-age-grace-seconds", 0, 31_536_000))));
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
        throw new ConfigException("invalid value '" + raw + "' for " + key + " (from " + sources.get(key)
            + "): " + e.getMessage());
      }
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
