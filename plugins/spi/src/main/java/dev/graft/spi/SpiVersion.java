package dev.graft.spi;

/**
 * A version of this SPI. A plugin built against {@code major.minor} loads on a server whose SPI
 * has the same major and a minor at least as high.
 *
 * <p>Plugins return {@code new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR)} from
 * {@link Plugin#spiVersion()}: the constants are inlined by the compiler, so the value records
 * the SPI the plugin was compiled against, not the one it runs on.
 *
 * <p>History: 1.0 the first SPI; 1.1 added trainable backbones ({@link Backbone#openTrainable},
 * {@link TrainableBackbone}, {@link ParameterGroup}) and {@link TrainContext#checkpointDirectoryOf}; 1.2 added
 * {@link TrainableBackbone#inputs(ai.djl.ndarray.NDManager, java.util.List, boolean)} (augment
 * training batches only); 1.3 added {@link DomainPlugin#codeFormats()} (import formats that carry
 * code, refused unless the operator allows code imports) and {@link ErrorKind#PERMISSION_DENIED}; 1.4 added {@link FeatureHead} (heads on a frozen
 * backbone, whose backbone passes the server may share); 1.5 added {@link ConfusionMatrix} and
 * {@link TrainOutcome#confusionMatrix()} (a classifier's confusion matrix, stored on its model),
 * and {@link ProgressListener#onPhase} (training phases).
 */
public record SpiVersion(int major, int minor) {

  /** The major version of this SPI; changes on an incompatible change. */
  public static final int MAJOR = 1;
  /** The minor version of this SPI; changes when something is added. */
  public static final int MINOR = 5;

  /** The version of the SPI on the class path at run time. */
  public static SpiVersion current() {
    return new SpiVersion(MAJOR, MINOR);
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
