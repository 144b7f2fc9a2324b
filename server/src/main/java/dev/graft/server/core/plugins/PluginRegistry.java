package dev.graft.server.core.plugins;

import dev.graft.spi.DjlVersion;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.Plugin;
import dev.graft.spi.SpiVersion;
import dev.graft.spi.StrategyPlugin;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The active domain and strategy plugins by id, and the state of every plugin seen. A plugin from
 * the plugin folder built against an incompatible SPI or DJL ({@link PluginCompatibility}), or
 * any plugin whose id is already taken, is FAILED. Built-ins are compiled with the server and
 * share its SPI and DJL, so they are not asked. Immutable after construction; thread-safe.
 */
public final class PluginRegistry {
  private final Map<String, DomainPlugin> domains = new TreeMap<>();
  private final Map<String, StrategyPlugin> strategies = new TreeMap<>();
  private final List<PluginInfo> infos = new ArrayList<>();

  public PluginRegistry(DiscoveredPlugins discovered, SpiVersion runtime, boolean strict) {
    PluginCompatibility compatibility = new PluginCompatibility(runtime, DjlVersion.REQUIRED);
    discovered.domains().forEach(f -> register(f.plugin(), f.source(), "domain", domains, compatibility));
    discovered.strategies().forEach(
        f -> register(f.plugin(), f.source(), "strategy", strategies, compatibility));
    infos.addAll(discovered.failures());
    infos.sort((a, b) -> a.kind().equals(b.kind()) ? a.id().compareTo(b.id()) : a.kind().compareTo(b.kind()));
    if (strict) {
      List<PluginInfo> failed = failed();
      if (!failed.isEmpty()) {
        throw new IllegalStateException("plugins failed to load (strict mode): " + failed);
      }
    }
  }

  private <T extends Plugin> void register(
      T plugin, String source, String kind, Map<String, T> active, PluginCompatibility compatibility) {
    String id;
    Optional<String> problem;
    try {
      id = plugin.id();
      problem = source.equals(DiscoveredPlugins.BUILTIN) ? Optional.empty() : compatibility.problem(plugin);
    } catch (RuntimeException | LinkageError e) {
      infos.add(PluginInfo.failed(plugin.getClass().getName(), kind, source, e.toString()));
      return;
    }
    if (problem.isPresent()) {
      infos.add(PluginInfo.failed(id, kind, source, problem.get()));
      return;
    }
    if (active.containsKey(id)) {
      infos.add(PluginInfo.failed(id, kind, source, "a " + kind + " plugin with id '" + id + "' is already loaded"));
      return;
    }
    active.put(id, plugin);
    infos.add(new PluginInfo(id, kind, PluginInfo.State.ACTIVE, plugin.version(), source, ""));
  }

  /** Every plugin seen, active or failed. */
  public List<PluginInfo> infos() {
    return Collections.unmodifiableList(infos);
  }

  public List<PluginInfo> failed() {
    return infos.stream().filter(i -> i.state() == PluginInfo.State.FAILED).toList();
  }

  /** The domain plugin with this id; NOT_FOUND / FAILED_PRECONDITION when there is none usable. */
  public DomainPlugin domain(String id) {
    DomainPlugin d = domains.get(id);
    if (d == null) {
      throw missing("domain", id, domains.keySet());
    }
    return d;
  }

  /** The strategy with this id, or INVALID_ARGUMENT on field {@code strategy}. */
  public StrategyPlugin strategy(String id) {
    StrategyPlugin s = strategies.get(id);
    if (s == null) {
      GraftException failed = failedPlugin("strategy", id);
      if (failed != null) {
        throw failed;
      }
      throw GraftException.invalidArgument("strategy", "UNKNOWN_STRATEGY",
          "no strategy '" + id + "'; available: " + strategies.keySet());
    }
    return s;
  }

  public Map<String, DomainPlugin> domains() {
    return Collections.unmodifiableMap(domains);
  }

  public Map<String, StrategyPlugin> strategies() {
    return Collections.unmodifiableMap(strategies);
  }

  private GraftException missing(String kind, String id, java.util.Set<String> available) {
    GraftException failed = failedPlugin(kind, id);
    return failed != null
        ? failed
        : GraftException.failedPrecondition("PLUGIN_NOT_FOUND",
            "no " + kind + " plugin '" + id + "' is loaded; available: " + available);
  }

  private GraftException failedPlugin(String kind, String id) {
    return infos.stream()
        .filter(i -> i.kind().equals(kind) && i.id().equals(id) && i.state() == PluginInfo.State.FAILED)
        .findFirst()
        .map(i -> GraftException.failedPrecondition("PLUGIN_FAILED",
            "the " + kind + " plugin '" + id + "' failed to load: " + i.error()))
        .orElse(null);
  }
}
