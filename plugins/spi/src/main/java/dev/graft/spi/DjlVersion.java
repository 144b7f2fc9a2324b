package dev.graft.spi;

/**
 * A DJL release line, {@code major.minor}. DJL is at 0.x, where a minor release may change its
 * API, so a plugin built against one line only runs on a server of the same line. Immutable.
 *
 * @param major DJL's major version
 * @param minor DJL's minor version
 * @since SPI 1.6
 */
public record DjlVersion(int major, int minor) {

  /**
   * The DJL line this SPI is built against, which the server provides to plugins at run time
   * (the SPI jar's manifest says the same in {@link PluginManifest#DJL_VERSION}).
   */
  public static final DjlVersion REQUIRED = new DjlVersion(0, 36);

  /**
   * The line of a DJL version string ("0.36.0", "0.36").
   *
   * @throws IllegalArgumentException when {@code version} does not start with two numbers
   */
  public static DjlVersion parse(String version) {
    String[] parts = version.trim().split("\\.");
    try {
      if (parts.length >= 2) {
        return new DjlVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("not a DJL version (major.minor[.patch]): '" + version + "'");
  }

  /** Whether a plugin built against {@code this} line can run on {@code runtime}'s. */
  public boolean isCompatibleWith(DjlVersion runtime) {
    return major == runtime.major && minor == runtime.minor;
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
