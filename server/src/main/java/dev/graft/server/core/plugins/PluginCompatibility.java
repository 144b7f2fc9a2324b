package dev.graft.server.core.plugins;

import dev.graft.spi.DjlVersion;
import dev.graft.spi.GraftException;
import dev.graft.spi.Plugin;
import dev.graft.spi.PluginManifest;
import dev.graft.spi.SpiVersion;
import java.util.Optional;

/**
 * Whether a plugin from the plugin folder can run on this server: the SPI it was built against
 * ({@link Plugin#spiVersion()}, by default its jar manifest's {@value PluginManifest#SPI_VERSION})
 * must have this server's major and a minor no newer, and a plugin built against SPI 1.6 or later
 * must declare {@value PluginManifest#DJL_VERSION} of the DJL line the SPI requires
 * ({@link DjlVersion#REQUIRED}). Plugins built against older SPIs predate that attribute and are
 * not checked for DJL. Stateless; thread-safe.
 */
final class PluginCompatibility {
  /** The first SPI whose plugins declare their DJL version. */
  static final SpiVersion DJL_DECLARED_SINCE = new SpiVersion(1, 6);

  private final SpiVersion runtimeSpi;
  private final DjlVersion runtimeDjl;

  PluginCompatibility(SpiVersion runtimeSpi, DjlVersion runtimeDjl) {
    this.runtimeSpi = runtimeSpi;
    this.runtimeDjl = runtimeDjl;
  }

  /**
   * Why {@code plugin} cannot run here, or empty when it can. Exceptions other than a
   * {@link GraftException} from the plugin's own {@code spiVersion()} pass through.
   */
  Optional<String> problem(Plugin plugin) {
    SpiVersion wanted;
    try {
      wanted = plugin.spiVersion();
    } catch (GraftException e) {
      return Optional.of(e.getMessage());
    }
    if (wanted == null) {
      return Optional.of("declares no SPI version (spiVersion() returned null)");
    }
    if (!wanted.isCompatibleWith(runtimeSpi)) {
      return Optional.of("built against SPI " + wanted + " but this server has SPI " + runtimeSpi);
    }
    if (!DJL_DECLARED_SINCE.isCompatibleWith(wanted)) {
      return Optional.empty();
    }
    return djlProblem(PluginManifest.of(plugin.getClass()), wanted);
  }

  private Optional<String> djlProblem(PluginManifest manifest, SpiVersion wanted) {
    Optional<DjlVersion> djl;
    try {
      djl = manifest.djlVersion();
    } catch (GraftException e) {
      return Optional.of(e.getMessage());
    }
    if (djl.isEmpty()) {
      return Optional.of(manifest.location() + " is built against SPI " + wanted + " but declares no"
          + " DJL version: add '" + PluginManifest.DJL_VERSION + ": " + runtimeDjl + ".x' (the DJL"
          + " it compiles against) to its manifest");
    }
    if (!djl.get().isCompatibleWith(runtimeDjl)) {
      return Optional.of("built against DJL " + djl.get() + " but this server's SPI requires DJL "
          + runtimeDjl + ".x (DJL's API changes between minor versions): rebuild the plugin"
          + " against DJL " + runtimeDjl);
    }
    return Optional.empty();
  }
}
