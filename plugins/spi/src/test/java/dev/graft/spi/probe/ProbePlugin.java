package dev.graft.spi.probe;

import dev.graft.spi.Plugin;

/** A plugin that does not override {@link Plugin#spiVersion()}; PluginManifestTest jars it. */
public final class ProbePlugin implements Plugin {
  @Override
  public String id() {
    return "probe";
  }
}
