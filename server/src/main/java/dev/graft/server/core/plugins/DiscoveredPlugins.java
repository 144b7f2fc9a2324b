package dev.graft.server.core.plugins;

import dev.graft.spi.DomainPlugin;
import dev.graft.spi.StrategyPlugin;
import java.util.List;

/**
 * The raw result of plugin discovery: the plugin instances found, each with where it came from,
 * and the providers that failed to load. Immutable.
 */
public record DiscoveredPlugins(
    List<Found<DomainPlugin>> domains, List<Found<StrategyPlugin>> strategies, List<PluginInfo> failures) {

  public DiscoveredPlugins {
    domains = List.copyOf(domains);
    strategies = List.copyOf(strategies);
    failures = List.copyOf(failures);
  }

  /** The source of the plugins found on the server's own class path. */
  public static final String BUILTIN = "builtin";

  /** A plugin instance and its source ({@link #BUILTIN} or a jar name). */
  public record Found<T>(T plugin, String source) {}
}
