package dev.graft.spi;

/**
 * What every plugin declares about itself. Implementations need a public no-argument
 * constructor (for {@link java.util.ServiceLoader}) and must be safe to call from any thread.
 */
public interface Plugin {

  /** A stable id, lower-case with dashes, unique among plugins of its kind ("nlp", "fine-tuning"). */
  String id();

  /**
   * The SPI this plugin was compiled against. The default reads {@link PluginManifest#SPI_VERSION}
   * from the manifest of the jar the plugin's class came from (see
   * {@link PluginManifest#requireSpiVersion()}), so a plugin need not override it. Plugins built
   * before SPI 1.6 override it with {@code new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR)},
   * which keeps working. Since SPI 1.6 a default method.
   *
   * @throws GraftException FAILED_PRECONDITION when the jar declares no SPI version or a
   *     malformed one
   */
  default SpiVersion spiVersion() {
    return PluginManifest.of(getClass()).requireSpiVersion();
  }

  /** The plugin's own version, shown in server info. */
  default String version() {
    Package p = getClass().getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
