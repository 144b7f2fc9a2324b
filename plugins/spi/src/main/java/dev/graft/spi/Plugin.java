package dev.graft.spi;

/**
 * What every plugin declares about itself. Implementations need a public no-argument
 * constructor (for {@link java.util.ServiceLoader}) and must be safe to call from any thread.
 */
public interface Plugin {

  /** A stable id, lower-case with dashes, unique among plugins of its kind ("nlp", "fine-tuning"). */
  String id();

  /** The SPI this plugin was compiled against: {@code new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR)}. */
  SpiVersion spiVersion();

  /** The plugin's own version, shown in server info. */
  default String version() {
    Package p = getClass().getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
