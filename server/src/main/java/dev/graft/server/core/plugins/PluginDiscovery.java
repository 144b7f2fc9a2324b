package dev.graft.server.core.plugins;

import dev.graft.spi.DomainPlugin;
import dev.graft.spi.Plugin;
import dev.graft.spi.StrategyPlugin;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Finds plugins with {@link ServiceLoader}: built-ins on the server's class path, and each jar of
 * the plugin folder in a class loader of its own whose parent exposes only the SPI and DJL. A
 * provider that cannot be instantiated is recorded as a failure, never thrown.
 */
public final class PluginDiscovery {
  private static final System.Logger LOG = System.getLogger(PluginDiscovery.class.getName());

  private final ClassLoader serverLoader;
  private final Optional<Path> pluginDir;

  public PluginDiscovery(ClassLoader serverLoader, Optional<Path> pluginDir) {
    this.serverLoader = serverLoader;
    this.pluginDir = pluginDir;
  }

  public DiscoveredPlugins discover() {
    List<DiscoveredPlugins.Found<DomainPlugin>> domains = new ArrayList<>();
    List<DiscoveredPlugins.Found<StrategyPlugin>> strategies = new ArrayList<>();
    List<PluginInfo> failures = new ArrayList<>();
    load(DomainPlugin.class, "domain", serverLoader, DiscoveredPlugins.BUILTIN, domains, failures);
    load(StrategyPlugin.class, "strategy", serverLoader, DiscoveredPlugins.BUILTIN, strategies, failures);
    for (Path jar : jars(failures)) {
      String source = jar.getFileName().toString();
      try {
        URLClassLoader loader = new URLClassLoader(
            "plugin:" + source, new URL[] {jar.toUri().toURL()}, new SpiOnlyClassLoader(serverLoader));
        load(DomainPlugin.class, "domain", loader, source, domains, failures);
        load(StrategyPlugin.class, "strategy", loader, source, strategies, failures);
      } catch (MalformedURLException e) {
        failures.add(PluginInfo.failed(source, "unknown", source, e.toString()));
      }
    }
    return new DiscoveredPlugins(domains, strategies, failures);
  }

  private List<Path> jars(List<PluginInfo> failures) {
    if (pluginDir.isEmpty()) {
      return List.of();
    }
    Path dir = pluginDir.get();
    if (!Files.isDirectory(dir)) {
      failures.add(PluginInfo.failed(dir.toString(), "unknown", dir.toString(), "plugin folder does not exist"));
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      failures.add(PluginInfo.failed(dir.toString(), "unknown", dir.toString(), e.toString()));
      return List.of();
    }
  }

  private static <T extends Plugin> void load(
      Class<T> type,
      String kind,
      ClassLoader loader,
      String source,
      List<DiscoveredPlugins.Found<T>> found,
      List<PluginInfo> failures) {
    ServiceLoader<T> services = ServiceLoader.load(type, loader);
    var providers = services.stream().iterator();
    while (true) {
      ServiceLoader.Provider<T> provider;
      try {
        if (!providers.hasNext()) {
          return;
        }
        provider = providers.next();
      } catch (ServiceConfigurationError e) {
        LOG.log(System.Logger.Level.WARNING, "a " + kind + " plugin in " + source + " failed to load", e);
        failures.add(PluginInfo.failed(source, kind, source, describe(e)));
        continue;
      }
      // The server's own loader also sees a plugin jar's parent classes; keep only what this loader defines.
      if (!source.equals(DiscoveredPlugins.BUILTIN) && provider.type().getClassLoader() != loader) {
        continue;
      }
      try {
        found.add(new DiscoveredPlugins.Found<>(provider.get(), source));
      } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "plugin " + provider.type().getName() + " failed to start", e);
        failures.add(PluginInfo.failed(provider.type().getName(), kind, source, describe(e)));
      }
    }
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.toString() : e.getMessage() + " (caused by " + root + ")";
  }
}
