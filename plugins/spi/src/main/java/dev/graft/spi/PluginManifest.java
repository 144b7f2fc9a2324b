package dev.graft.spi;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;
import java.util.function.Function;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * What a plugin's jar manifest declares about the APIs it was built against: {@value
 * #SPI_VERSION} (the SPI, {@code major.minor}) and {@value #DJL_VERSION} (the DJL release it
 * compiled with). A build writes both; the Maven way is in docs/plugins.md. The SPI jar's own
 * manifest carries the same two attributes for the SPI itself.
 *
 * <p>A class loaded from a class folder (a build in progress: an IDE, {@code mvn test}) reads
 * {@code META-INF/MANIFEST.MF} in that folder when there is one. Immutable; thread-safe.
 *
 * @since SPI 1.6
 */
public final class PluginManifest {
  /** The manifest attribute naming the SPI version a plugin was built against ("1.6"). */
  public static final String SPI_VERSION = "Graft-Spi-Version";
  /** The manifest attribute naming the DJL version a plugin was built against ("0.36.0"). */
  public static final String DJL_VERSION = "Graft-Djl-Version";

  private final String location;
  private final boolean classFolder;
  private final Attributes attributes;

  private PluginManifest(String location, boolean classFolder, Attributes attributes) {
    this.location = location;
    this.classFolder = classFolder;
    this.attributes = attributes;
  }

  /**
   * The manifest of the jar or class folder {@code type} was loaded from; empty when it has
   * none or cannot be read.
   */
  public static PluginManifest of(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    URL url = source == null ? null : source.getLocation();
    Path path = url == null ? null : pathOf(url);
    if (path == null) {
      return new PluginManifest(type.getName(), false, new Attributes());
    }
    boolean folder = Files.isDirectory(path);
    return new PluginManifest(path.toString(), folder, read(path, folder));
  }

  /** The jar or class folder the manifest was read from (a class name when there is none). */
  public String location() {
    return location;
  }

  /** Whether the classes came from a folder rather than a jar. */
  public boolean isClassFolder() {
    return classFolder;
  }

  /** A main attribute of the manifest, when present and not blank. */
  public Optional<String> attribute(String name) {
    String value = attributes.getValue(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /**
   * The declared SPI version.
   *
   * @throws GraftException FAILED_PRECONDITION {@code INVALID_PLUGIN_MANIFEST} when malformed
   */
  public Optional<SpiVersion> spiVersion() {
    return parsed(SPI_VERSION, SpiVersion::parse);
  }

  /**
   * The declared DJL version's line.
   *
   * @throws GraftException FAILED_PRECONDITION {@code INVALID_PLUGIN_MANIFEST} when malformed
   */
  public Optional<DjlVersion> djlVersion() {
    return parsed(DJL_VERSION, DjlVersion::parse);
  }

  /**
   * The SPI version a plugin was built against: the declared one; for a class folder without a
   * declaration, the SPI on the class path (a build in progress compiles against the SPI it runs
   * with); otherwise none is known and the plugin cannot be checked.
   *
   * @throws GraftException FAILED_PRECONDITION {@code SPI_VERSION_UNDECLARED} when a jar declares
   *     none, {@code INVALID_PLUGIN_MANIFEST} when its declaration is malformed
   */
  public SpiVersion requireSpiVersion() {
    Optional<SpiVersion> declared = spiVersion();
    if (declared.isPresent()) {
      return declared.get();
    }
    if (classFolder) {
      return SpiVersion.current();
    }
    throw GraftException.failedPrecondition(
        "SPI_VERSION_UNDECLARED",
        location + " declares no SPI version: add '" + SPI_VERSION + ": " + SpiVersion.current()
            + "' (the SPI it compiles against) to its manifest, or override Plugin.spiVersion()");
  }

  private <T> Optional<T> parsed(String name, Function<String, T> parser) {
    Optional<String> value = attribute(name);
    try {
      return value.map(parser);
    } catch (IllegalArgumentException e) {
      throw GraftException.failedPrecondition(
          "INVALID_PLUGIN_MANIFEST",
          location + ": manifest attribute " + name + " is malformed: " + e.getMessage());
    }
  }

  private static Path pathOf(URL url) {
    if (!"file".equals(url.getProtocol())) {
      return null;
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }

  private static Attributes read(Path path, boolean folder) {
    try {
      if (folder) {
        Path file = path.resolve(JarFile.MANIFEST_NAME);
        if (!Files.isRegularFile(file)) {
          return new Attributes();
        }
        try (InputStream in = Files.newInputStream(file)) {
          return new Manifest(in).getMainAttributes();
        }
      }
      try (JarFile jar = new JarFile(path.toFile(), false)) {
        Manifest manifest = jar.getManifest();
        return manifest == null ? new Attributes() : manifest.getMainAttributes();
      }
    } catch (IOException e) {
      return new Attributes();
    }
  }
}
