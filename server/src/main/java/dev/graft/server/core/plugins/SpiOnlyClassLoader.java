package dev.graft.server.core.plugins;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * The parent of every external plugin's class loader: it exposes the JDK, the Graft SPI and DJL's
 * API from the server and nothing else, so a plugin's own dependencies cannot clash with the
 * server's. Resources are not exposed (a plugin must not see the server's service files).
 */
final class SpiOnlyClassLoader extends ClassLoader {
  private static final String[] EXPOSED = {"dev.graft.spi.", "ai.djl."};

  private final ClassLoader server;

  SpiOnlyClassLoader(ClassLoader server) {
    super("graft-spi-only", ClassLoader.getPlatformClassLoader());
    this.server = server;
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    for (String prefix : EXPOSED) {
      if (name.startsWith(prefix)) {
        return server.loadClass(name);
      }
    }
    return super.loadClass(name, resolve);
  }

  @Override
  public URL getResource(String name) {
    return null;
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    return Collections.emptyEnumeration();
  }
}
