package dev.graft.server.app;

/** Who this server is: its version and replica name, for server info and logs. */
public record ServerIdentity(String version, String replica) {

  /** The version from the jar manifest, or "dev" when run from classes. */
  static String versionFromManifest() {
    String v = ServerIdentity.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }
}
