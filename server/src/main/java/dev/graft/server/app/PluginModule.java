package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.core.plugins.PluginDiscovery;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.spi.SpiVersion;
import javax.inject.Singleton;

/** Plugins: built-ins through ServiceLoader on the class path, external jars from the plugin folder. */
@Module
interface PluginModule {

  @Provides
  @Singleton
  static PluginRegistry plugins(ServerConfig config) {
    PluginDiscovery discovery = new PluginDiscovery(PluginModule.class.getClassLoader(), config.pluginDir());
    return new PluginRegistry(discovery.discover(), SpiVersion.current(), config.strictPlugins());
  }
}
