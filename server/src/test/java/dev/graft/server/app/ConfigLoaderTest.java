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
}
