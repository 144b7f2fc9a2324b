package dev.graft.server.core.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.SpiVersion;
import dev.graft.spi.StrategyPlugin;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Built-in plugins are found through ServiceLoader; jars in the plugin folder load in their own
 * class loader; a plugin built for another SPI, or one that throws, is FAILED with its reason.
 * The external plugins are real jars compiled here against graft-spi.
 */
class PluginDiscoveryTest {
  @TempDir Path work;

  @Test
  void builtinsRegister() {
    PluginRegistry registry = new PluginRegistry(
        new PluginDiscovery(getClass().getClassLoader(), Optional.empty()).discover(), SpiVersion.current(), false);
    assertEquals(List.of("nlp", "timeseries", "vision"), List.copyOf(registry.domains().keySet()));
    assertEquals(List.of("feature-extraction", "fine-tuning", "knowledge-transfer"),
        List.copyOf(registry.strategies().keySet()));
    assertTrue(registry.failed().isEmpty(), registry.failed().toString());
    assertTrue(registry.infos().stream().allMatch(i -> i.source().equals("builtin")));
  }

  @Test
  void externalJarsLoadInTheirOwnClassLoader() throws Exception {
    Path plugins = Files.createDirectories(work.resolve("plugins"));
    jar(plugins.resolve("echo.jar"), "ext.EchoStrategy", strategySource("ext", "EchoStrategy", "echo",
        "SpiVersion.MAJOR, SpiVersion.MINOR", ""));
    jar(plugins.resolve("future.jar"), "ext.FutureStrategy", strategySource("ext", "FutureStrategy", "future",
        "SpiVersion.MAJOR + 1, 0", ""));
    jar(plugins.resolve("broken.jar"), "ext.BrokenStrategy", strategySource("ext", "BrokenStrategy", "broken",
        "SpiVersion.MAJOR, SpiVersion.MINOR", "throw new IllegalStateException(\"no licence file\");"));
    jar(plugins.resolve("clash.jar"), "ext.ClashStrategy", strategySource("ext", "ClashStrategy", "feature-extraction",
        "SpiVersion.MAJOR, SpiVersion.MINOR", ""));

    PluginRegistry registry = new PluginRegistry(
        new PluginDiscovery(getClass().getClassLoader(), Optional.of(plugins)).discover(), SpiVersion.current(), false);

    StrategyPlugin echo = registry.strategy("echo");
    assertEquals("plugin:echo.jar", echo.getClass().getClassLoader().getName());
    assertTrue(registry.infos().stream().anyMatch(i -> i.id().equals("echo") && i.source().equals("echo.jar")
        && i.state() == PluginInfo.State.ACTIVE));
    PluginInfo future = registry.infos().stream().filter(i -> i.id().equals("future")).findFirst().orElseThrow();
    assertEquals(PluginInfo.State.FAILED, future.state());
    assertTrue(future.error().contains("SPI 2.0"), future.error());
    PluginInfo broken = registry.infos().stream().filter(i -> i.source().equals("broken.jar")).findFirst().orElseThrow();
    assertEquals(PluginInfo.State.FAILED, broken.state());
    assertTrue(broken.error().contains("no licence file"), broken.error());
    PluginInfo clash = registry.infos().stream().filter(i -> i.source().equals("clash.jar")).findFirst().orElseThrow();
    assertEquals(PluginInfo.State.FAILED, clash.state());
    assertTrue(clash.error().contains("already loaded"), clash.error());
    assertEquals("builtin", registry.infos().stream().filter(i -> i.id().equals("feature-extraction")
        && i.state() == PluginInfo.State.ACTIVE).findFirst().orElseThrow().source());

    var e = assertThrows(dev.graft.spi.GraftException.class, () -> registry.strategy("future"));
    assertEquals("PLUGIN_FAILED", e.reason());
    assertThrows(IllegalStateException.class, () -> new PluginRegistry(
        new PluginDiscovery(getClass().getClassLoader(), Optional.of(plugins)).discover(), SpiVersion.current(), true));
  }

  @Test
  void pluginsCannotSeeServerClasses() throws Exception {
    Path plugins = Files.createDirectories(work.resolve("plugins"));
    jar(plugins.resolve("nosy.jar"), "ext.NosyStrategy", strategySource("ext", "NosyStrategy", "nosy",
        "SpiVersion.MAJOR, SpiVersion.MINOR",
        "Class.forName(\"dev.graft.server.core.plugins.PluginRegistry\");"));
    PluginRegistry registry = new PluginRegistry(
        new PluginDiscovery(getClass().getClassLoader(), Optional.of(plugins)).discover(), SpiVersion.current(), false);
    PluginInfo nosy = registry.infos().stream().filter(i -> i.source().equals("nosy.jar")).findFirst().orElseThrow();
    assertEquals(PluginInfo.State.FAILED, nosy.state());
    assertTrue(nosy.error().contains("ClassNotFoundException"), nosy.error());
  }

  private static String strategySource(String pkg, String cls, String id, String version, String constructorBody) {
    return "package " + pkg + ";\n"
        + "import dev.graft.spi.*;\n"
        + "public final class " + cls + " implements StrategyPlugin {\n"
        + "  public " + cls + "() throws Exception { " + constructorBody + " }\n"
        + "  public String id() { return \"" + id + "\"; }\n"
        + "  public SpiVersion spiVersion() { return new SpiVersion(" + version + "); }\n"
        + "  public TrainOutcome train(TrainContext c) { throw GraftException.unimplemented(\"ECHO\", \"echo\"); }\n"
        + "  public TrainedModel load(LoadContext c) { throw GraftException.unimplemented(\"ECHO\", \"echo\"); }\n"
        + "}\n";
  }

  private void jar(Path jar, String className, String source) throws Exception {
    Path src = Files.createTempDirectory(work, "src");
    Path classes = Files.createTempDirectory(work, "classes");
    Path file = src.resolve(className.replace('.', '/') + ".java");
    Files.createDirectories(file.getParent());
    Files.writeString(file, source);
    String classpath = String.join(File.pathSeparator, location(SpiVersion.class), location(ai.djl.Device.class));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", classpath, file.toString());
    assertEquals(0, rc, "plugin source compiles");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        j.putNextEntry(new JarEntry(classes.relativize(p).toString()));
        j.write(Files.readAllBytes(p));
        j.closeEntry();
      }
      j.putNextEntry(new JarEntry("META-INF/services/dev.graft.spi.StrategyPlugin"));
      j.write((className + "\n").getBytes(StandardCharsets.UTF_8));
      j.closeEntry();
    }
  }

  private static String location(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
