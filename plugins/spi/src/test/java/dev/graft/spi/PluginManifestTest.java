package dev.graft.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.spi.probe.ProbePlugin;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin's SPI and DJL versions come from its jar's manifest: {@link ProbePlugin} (which does
 * not override {@code spiVersion()}) is put in real jars with and without the attributes and
 * loaded from each in its own class loader.
 */
class PluginManifestTest {
  private static final String PROBE = ProbePlugin.class.getName();

  @TempDir Path work;

  @Test
  void declaredVersionsAreRead() throws Exception {
    Plugin plugin = load(jar("declared.jar",
        Map.of(PluginManifest.SPI_VERSION, "1.4", PluginManifest.DJL_VERSION, "0.36.0")));
    assertEquals(new SpiVersion(1, 4), plugin.spiVersion());
    PluginManifest manifest = PluginManifest.of(plugin.getClass());
    assertFalse(manifest.isClassFolder());
    assertTrue(manifest.location().endsWith("declared.jar"), manifest.location());
    assertEquals(Optional.of(new DjlVersion(0, 36)), manifest.djlVersion());
  }

  @Test
  void aJarWithoutTheAttributeSaysHowToDeclareIt() throws Exception {
    Plugin plugin = load(jar("bare.jar", Map.of()));
    GraftException e = assertThrows(GraftException.class, plugin::spiVersion);
    assertEquals(ErrorKind.FAILED_PRECONDITION, e.kind());
    assertEquals("SPI_VERSION_UNDECLARED", e.reason());
    assertTrue(e.getMessage().contains("bare.jar"), e.getMessage());
    assertTrue(e.getMessage().contains("Graft-Spi-Version: " + SpiVersion.current()), e.getMessage());
    assertEquals(Optional.empty(), PluginManifest.of(plugin.getClass()).djlVersion());
  }

  @Test
  void aMalformedAttributeIsRefused() throws Exception {
    Plugin plugin = load(jar("odd.jar",
        Map.of(PluginManifest.SPI_VERSION, "one.six", PluginManifest.DJL_VERSION, "latest")));
    GraftException e = assertThrows(GraftException.class, plugin::spiVersion);
    assertEquals("INVALID_PLUGIN_MANIFEST", e.reason());
    assertTrue(e.getMessage().contains("Graft-Spi-Version"), e.getMessage());
    GraftException djl = assertThrows(GraftException.class,
        () -> PluginManifest.of(plugin.getClass()).djlVersion());
    assertTrue(djl.getMessage().contains("Graft-Djl-Version"), djl.getMessage());
  }

  @Test
  void aClassFolderWithoutManifestIsABuildOfThisSpi() {
    PluginManifest manifest = PluginManifest.of(ProbePlugin.class);
    assertTrue(manifest.isClassFolder(), manifest.location());
    assertEquals(SpiVersion.current(), new ProbePlugin().spiVersion());
  }

  private Path jar(String name, Map<String, String> attributes) throws Exception {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    attributes.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
    Path jar = work.resolve(name);
    String entry = PROBE.replace('.', '/') + ".class";
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out, manifest);
        InputStream in = ProbePlugin.class.getClassLoader().getResourceAsStream(entry)) {
      j.putNextEntry(new JarEntry(entry));
      in.transferTo(j);
      j.closeEntry();
    }
    return jar;
  }

  /** The probe defined by a loader of its own over {@code jar}, seeing the SPI but not the test classes. */
  @SuppressWarnings("resource") // a class loader per test; closed with the JVM
  private static Plugin load(Path jar) throws Exception {
    ClassLoader app = PluginManifestTest.class.getClassLoader();
    ClassLoader spiOnly = new ClassLoader("spi-only", ClassLoader.getPlatformClassLoader()) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith("dev.graft.spi.") && !name.startsWith("dev.graft.spi.probe.")) {
          return app.loadClass(name);
        }
        return super.loadClass(name, resolve);
      }
    };
    URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, spiOnly);
    return (Plugin) loader.loadClass(PROBE).getDeclaredConstructor().newInstance();
  }
}
