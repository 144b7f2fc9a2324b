package dev.graft.spi;

/**
 * A version of this SPI. A plugin built against {@code major.minor} loads on a server whose SPI
 * has the same major and a minor at least as high.
 *
 * <p>A plugin declares the SPI it was compiled against in its jar manifest
 * ({@link PluginManifest#SPI_VERSION}, e.g. {@code Graft-Spi-Version: 1.6}), which the default
 * {@link Plugin#spiVersion()} reads. Plugins built before SPI 1.6 override it with
 * {@code new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR)} (the compiler inlines the constants,
 * so the value records the SPI they were compiled against); that still works.
 *
 * <p>History: 1.0 the first SPI; 1.1 added trainable backbones ({@link Backbone#openTrainable},
 * {@link TrainableBackbone}, {@link ParameterGroup}) and {@link TrainContext#checkpointDirectoryOf}; 1.2 added
 * {@link TrainableBackbone#inputs(ai.djl.ndarray.NDManager, java.util.List, boolean)} (augment
 * training batches only); 1.3 added {@link DomainPlugin#codeFormats()} (import formats that carry
 * code, refused unless the operator allows code imports) and {@link ErrorKind#PERMISSION_DENIED}; 1.4 added {@link FeatureHead} (heads on a frozen
 * backbone, whose backbone passes the server may share); 1.5 added {@link ConfusionMatrix} and
 * {@link TrainOutcome#confusionMatrix()} (a classifier's confusion matrix, stored on its model),
 * and {@link ProgressListener#onPhase} (training phases); 1.6 reads a plugin's SPI version from its
 * jar manifest ({@link PluginManifest}; {@link Plugin#spiVersion()} became a default method),
 * declares the DJL line it needs ({@link DjlVersion#REQUIRED}), added {@link Experimental} and
 * {@link ErrorKind#DATA_LOSS}.
 */
public record SpiVersion(int major, int minor) {

  /** The major version of this SPI; changes on an incompatible change. */
  public static final int MAJOR = 1;
  /** The minor version of this SPI; changes when something is added. */
  public static final int MINOR = 6;

  /** The version of the SPI on the class path at run time. */
  public static SpiVersion current() {
    return new SpiVersion(MAJOR, MINOR);
  }

  /**
   * A version written {@code major.minor} ("1.6"), as in a manifest.
   *
   * @throws IllegalArgumentException when {@code text} is not two numbers separated by a dot
   * @since SPI 1.6
   */
  public static SpiVersion parse(String text) {
    String[] parts = text.trim().split("\\.");
    try {
      if (parts.length == 2) {
        return new SpiVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("not an SPI version (major.minor): '" + text + "'");
  }

  /** Whether a plugin compiled against {@code this} can run on {@code runtime}. */
  public boolean isCompatibleWith(SpiVersion runtime) {
    return major == runtime.major && minor <= runtime.minor;
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
