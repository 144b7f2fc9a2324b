package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void defaultsAreEmbedded() {
    ServerConfig c = new ConfigLoader(Map.of()).load();
    assertEquals(50051, c.port());
    assertEquals(Path.of("graft-data").toAbsolutePath(), c.store());
    assertEquals(Map.of("default", "cpu"), c.pools());
    assertEquals(64 * 1024 * 1024, c.maxInboundMessageBytes());
    assertTrue(c.pluginDir().isEmpty());
  }

  @Test
  void flagsOverrideEnvironmentOverrideFile() throws Exception {
    Path file = dir.resolve("graft.properties");
    Files.writeString(file, "port=1000\nqueue-capacity=5\ntraining-slots=3\n");
    ServerConfig c = new ConfigLoader(Map.of("GRAFT_PORT", "2000", "GRAFT_QUEUE_CAPACITY", "6"))
        .load("--config", file.toString(), "--port", "3000");
    assertEquals(3000, c.port());
    assertEquals(6, c.queueCapacity());
    assertEquals(3, c.trainingSlots());
    ServerConfig viaEnvFile = new ConfigLoader(Map.of("GRAFT_CONFIG", file.toString())).load("--port=4000");
    assertEquals(4000, viaEnvFile.port());
    assertEquals(5, viaEnvFile.queueCapacity());
  }

  @Test
  void poolsParse() {
    ServerConfig c = new ConfigLoader(Map.of()).load("--pools", "default=cpu;gpus=gpu:0,gpu:1", "--default-pool", "gpus");
    assertEquals(Map.of("default", "cpu", "gpus", "gpu:0,gpu:1"), c.pools());
    assertEquals("gpus", c.poolNames().get(0));
  }

  @Test
  void badValuesSayWhichValueWhereFromAndWhy() {
    var port = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("GRAFT_PORT", "http")).load());
    assertTrue(port.getMessage().contains("'http' for port (from environment GRAFT_PORT)"), port.getMessage());
    var range = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--port", "70000"));
    assertTrue(range.getMessage().contains("0..65535"), range.getMessage());
    var unknown = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--prot", "1"));
    assertTrue(unknown.getMessage().contains("unknown setting 'prot'"), unknown.getMessage());
    var pool = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--default-pool", "gpus"));
    assertTrue(pool.getMessage().contains("no pool named 'gpus'"), pool.getMessage());
    var pools = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--pools", "cpu"));
    assertTrue(pools.getMessage().contains("NAME=DEVICES"), pools.getMessage());
    var bool = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--strict-plugins", "maybe"));
    assertTrue(bool.getMessage().contains("expected true or false"), bool.getMessage());
    var file = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--config", "/nonexistent"));
    assertTrue(file.getMessage().contains("cannot read config file"), file.getMessage());
  }

  @Test
  void unknownDeviceFailsStartUp() {
    ServerConfig c = new ConfigLoader(Map.of()).load("--pools", "default=tpu:0", "--store", dir.toString());
    var e = assertThrows(ConfigException.class, () -> ServerComponent.create(c).server());
    assertTrue(e.getMessage().contains("tpu:0"), e.getMessage());
  }

  @Test
  void withoutAuthTheServerListensOnLoopbackOnlyUnlessToldItIsInsecure() throws Exception {
    assertEquals("127.0.0.1", new ConfigLoader(Map.of()).load().security().address());
    var open = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--address", "0.0.0.0"));
    assertTrue(open.getMessage().contains("insecure-no-auth"), open.getMessage());
    assertEquals("0.0.0.0", new ConfigLoader(Map.of()).load("--address", "0.0.0.0", "--insecure-no-auth", "true")
        .security().address());
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci trainer " + "a".repeat(64) + "\n");
    ServerConfig withAuth = new ConfigLoader(Map.of()).load("--auth-tokens-file", tokens.toString());
    assertEquals("0.0.0.0", withAuth.security().address());
    assertTrue(withAuth.security().authEnabled());
  }

  @Test
  void aBadTokensFileStopsStartUpNamingTheLine() throws Exception {
    Path tokens = Files.writeString(dir.resolve("tokens"), "# team\nci trainer " + "a".repeat(64)
        + "\nops superuser " + "b".repeat(64) + "\n");
    var role = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--auth-tokens-file", tokens.toString()));
    assertTrue(role.getMessage().contains(tokens + ":3: unknown role 'superuser'"), role.getMessage());
    Files.writeString(tokens, "ci trainer graft_the-token-itself\n");
    var plain = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--auth-tokens-file", tokens.toString()));
    assertTrue(plain.getMessage().contains(":1: the third field must be the token's SHA-256"), plain.getMessage());
  }

  @Test
  void theAdminTokenComesFromTheEnvironmentOrAFileAndTlsSettingsGoTogether() throws Exception {
    assertEquals("s3cret", new ConfigLoader(Map.of("GRAFT_AUTH_TOKEN", "s3cret")).load().security().adminToken());
    Path file = Files.writeString(dir.resolve("admin-token"), "from-a-file\n");
    assertEquals("from-a-file", new ConfigLoader(Map.of()).load("--auth-token-file", file.toString()).security()
        .adminToken());
    assertTrue(!new ConfigLoader(Map.of("GRAFT_AUTH_TOKEN", "s3cret")).load().security().toString().contains("s3cret"));
    Path pem = Files.writeString(dir.resolve("cert.pem"), "x");
    var half = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--tls-cert", pem.toString()));
    assertTrue(half.getMessage().contains("tls-cert and tls-key go together"), half.getMessage());
    var mtls = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--tls-cert", pem.toString(),
        "--tls-key", pem.toString(), "--tls-client-ca", pem.toString()));
    assertTrue(mtls.getMessage().contains("needs auth-tokens-file"), mtls.getMessage());
    var missing = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--tls-cert", dir.resolve("nope.pem").toString()));
    assertTrue(missing.getMessage().contains("not a readable file"), missing.getMessage());
  }


  @Test
  void observabilityDefaultsAndTheirRules() {
    ServerConfig.Observability d = new ConfigLoader(Map.of()).load().observability();
    assertEquals(8080, d.httpPort());
    assertEquals("127.0.0.1", d.httpAddress(), "loopback like gRPC without credentials");
    assertEquals(true, d.metrics());
    assertEquals(ServerConfig.Tracing.OFF, d.tracing());
    assertEquals(false, d.jsonLogs());
    assertEquals(0, new ConfigLoader(Map.of()).load("--port", "0").observability().httpPort(),
        "with any free gRPC port, any free HTTP port");
    assertEquals(9100, new ConfigLoader(Map.of()).load("--port", "0", "--http-port", "9100").observability().httpPort());
    assertEquals(-1, new ConfigLoader(Map.of()).load("--http-port", "-1").observability().httpPort());
    assertEquals(ServerConfig.Tracing.OTLP, new ConfigLoader(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"))
        .load().observability().tracing(), "the standard OTel variable turns tracing on");
    assertEquals(ServerConfig.Tracing.OFF, new ConfigLoader(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"))
        .load("--tracing", "off").observability().tracing());
    assertEquals(true, new ConfigLoader(Map.of("GRAFT_LOG_FORMAT", "json")).load().observability().jsonLogs());
    var open = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--http-address", "0.0.0.0"));
    assertTrue(open.getMessage().contains("http-address 0.0.0.0"), open.getMessage());
    var tracing = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--tracing", "jaeger"));
    assertTrue(tracing.getMessage().contains("expected otlp or off"), tracing.getMessage());
    var format = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load("--log-format", "xml"));
    assertTrue(format.getMessage().contains("log-format"), format.getMessage());
  }

  @Test
  void aSharedStoreNeedsABlobStoreAndKeepsPasswordsOffTheCommandLine() {
    ServerConfig local = new ConfigLoader(Map.of()).load();
    assertTrue(local.sharedStore().isEmpty());
    ServerConfig shared = new ConfigLoader(Map.of()).load("--store", "postgresql://graft@db:5433/registry",
        "--blob-store", "s3://models/graft", "--lost-job-policy", "fail");
    var s = shared.sharedStore().orElseThrow();
    assertEquals("jdbc:postgresql://db:5433/registry", s.database().jdbcUrl());
    assertEquals("models", s.blobs().bucket());
    assertEquals("graft", s.blobs().prefix());
    assertEquals(dev.graft.server.core.jobs.ClusterJobs.LostJobPolicy.FAIL, s.lostJobPolicy());
    assertEquals(3, s.maxJobAttempts());
    assertEquals(Path.of("graft-work").toAbsolutePath(), shared.store(), "the local working folder");

    var noBlobs = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--store", "postgresql://db/registry"));
    assertTrue(noBlobs.getMessage().contains("blob-store=s3://"), noBlobs.getMessage());
    var blobsAlone = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--blob-store", "s3://models"));
    assertTrue(blobsAlone.getMessage().contains("store=postgresql://"), blobsAlone.getMessage());
    var password = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
        .load("--store", "postgresql://graft:hunter2@db/registry", "--blob-store", "s3://models"));
    assertTrue(password.getMessage().contains("GRAFT_STORE_PASSWORD"), password.getMessage());
    assertTrue(!password.getMessage().contains("hunter2"), password.getMessage());
    var workDir = assertThrows(ConfigException.class,
        () -> new ConfigLoader(Map.of()).load("--work-dir", "/tmp/w"));
    assertTrue(workDir.getMessage().contains("shared store only"), workDir.getMessage());
  }
}
