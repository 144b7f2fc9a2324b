package dev.graft.server.core.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.DjlVersion;
import dev.graft.spi.PluginManifest;
import dev.graft.spi.SpiVersion;
import dev.graft.spi.StrategyPlugin;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Built-in plugins are found through ServiceLoader; jars in the plugin folder load in their own
 * class loader; a plugin built for another SPI or DJL, or one that throws, is FAILED with its
 * reason. The external plugins are real jars compiled here against graft-spi, with the manifest
 * attributes a plugin build writes ({@link #DECLARED}) unless a test says otherwise.
 */
class PluginDiscoveryTest {
  /** The manifest of a plugin built against this SPI and DJL. */
  private static final Map<String, String> DECLARED = Map.of(
      PluginManifest.SPI_VERSION, SpiVersion.current().toString(),
      PluginManifest.DJL_VERSION, DjlVersion.REQUIRED + ".0");

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
  void theSpiAndDjlVersionsComeFromTheJarManifest() throws Exception {
    Path plugins = Files.createDirectories(work.resolve("plugins"));
    jar(plugins.resolve("manifest.jar"), "ext.ManifestStrategy",
        strategySource("ext", "ManifestStrategy", "manifest", null, ""), DECLARED);
    jar(plugins.resolve("old-djl.jar"), "ext.OldDjlStrategy",
        strategySource("ext", "OldDjlStrategy", "old-djl", null, ""),
        Map.of(PluginManifest.SPI_VERSION, SpiVersion.current().toString(), PluginManifest.DJL_VERSION, "0.30.0"));
    jar(plugins.resolve("undeclared.jar"), "ext.UndeclaredStrategy",
        strategySource("ext", "UndeclaredStrategy", "undeclared", null, ""), Map.of());
    jar(plugins.resolve("no-djl.jar"), "ext.NoDjlStrategy",
        strategySource("ext", "NoDjlStrategy", "no-djl", "SpiVersion.MAJOR, SpiVersion.MINOR", ""), Map.of());
    jar(plugins.resolve("legacy.jar"), "ext.LegacyStrategy",
        strategySource("ext", "LegacyStrategy", "legacy", "1, 5", ""), Map.of());

    PluginRegistry registry = new PluginRegistry(
        new PluginDiscovery(getClass().getClassLoader(), Optional.of(plugins)).discover(), SpiVersion.current(), false);

    assertEquals(PluginInfo.State.ACTIVE, info(registry, "manifest.jar").state());
    assertEquals(SpiVersion.current(), registry.strategy("manifest").spiVersion());
    PluginInfo oldDjl = info(registry, "old-djl.jar");
    assertEquals(PluginInfo.State.FAILED, oldDjl.state());
    assertTrue(oldDjl.error().contains("built against DJL 0.30 but this server's SPI requires DJL "
        + DjlVersion.REQUIRED + ".x"), oldDjl.error());
    var e = assertThrows(dev.graft.spi.GraftException.class, () -> registry.strategy("old-djl"));
    assertEquals("PLUGIN_FAILED", e.reason());
    assertTrue(e.getMessage().contains("DJL 0.30"), e.getMessage());
    PluginInfo undeclared = info(registry, "undeclared.jar");
    assertEquals(PluginInfo.State.FAILED, undeclared.state());
    assertTrue(undeclared.error().contains("declares no SPI version"), undeclared.error());
    assertTrue(undeclared.error().contains("Graft-Spi-Version: " + SpiVersion.current()), undeclared.error());
    PluginInfo noDjl = info(registry, "no-djl.jar");
    assertEquals(PluginInfo.State.FAILED, noDjl.state());
    assertTrue(noDjl.error().contains("declares no DJL version"), noDjl.error());
    // built before SPI 1.6: an overridden spiVersion() and no DJL attribute still load
    assertEquals(PluginInfo.State.ACTIVE, info(registry, "legacy.jar").state());
  }

  @Test
  void builtinsAreNotAskedForTheirVersions() {
    StrategyPlugin undeclared = new StrategyPlugin() {
      @Override public String id() { return "inline"; }
      @Override public SpiVersion spiVersion() { throw new AssertionError("a built-in is not asked"); }
      @Override public dev.graft.spi.TrainOutcome train(dev.graft.spi.TrainContext c) { throw new AssertionError(); }
      @Override public dev.graft.spi.TrainedModel load(dev.graft.spi.LoadContext c) { throw new AssertionError(); }
    };
    PluginRegistry registry = new PluginRegistry(new DiscoveredPlugins(List.of(),
        List.of(new DiscoveredPlugins.Found<>(undeclared, DiscoveredPlugins.BUILTIN)), List.of()),
        SpiVersion.current(), true);
    assertEquals(undeclared, registry.strategy("inline"));
  }

  private static PluginInfo info(PluginRegistry registry, String source) {
    return registry.infos().stream().filter(i -> i.source().equals(source)).findFirst().orElseThrow();
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
        + (version == null ? "" : "  public SpiVersion spiVersion() { return new SpiVersion(" + version + "); }\n")
        + "  public TrainOutcome train(TrainContext c) { throw GraftException.unimplemented(\"ECHO\", \"echo\"); }\n"
        + "  public TrainedModel load(LoadContext c) { throw GraftException.unimplemented(\"ECHO\", \"echo\"); }\n"
        + "}\n";
  }

  private void jar(Path jar, String className, String source) throws Exception {
    jar(jar, className, source, DECLARED);
  }

  private void jar(Path jar, String className, String source, Map<String, String> attributes) throws Exception {
    Path src = Files.createTempDirectory(work, "src");
    Path classes = Files.createTempDirectory(work, "classes");
    Path file = src.resolve(className.replace('.', '/') + ".java");
    Files.createDirectories(file.getParent());
    Files.writeString(file, source);
    String classpath = String.join(File.pathSeparator, location(SpiVersion.class), location(ai.djl.Device.class));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", classpath, file.toString());
    assertEquals(0, rc, "plugin source compiles");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    attributes.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest);
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
