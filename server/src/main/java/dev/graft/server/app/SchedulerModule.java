package dev.graft.server.app;

import dagger.Module;
import dagger.Provides;
import dev.graft.server.scheduler.DeviceDiscovery;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.PoolSpec;
import java.util.ArrayList;
import java.util.List;
import javax.inject.Singleton;

/** Device pools from the configuration, resolved against the devices DJL finds. */
@Module
interface SchedulerModule {

  @Provides
  @Singleton
  static DeviceDiscovery discovery() {
    return DeviceDiscovery.djl();
  }

  @Provides
  @Singleton
  static DeviceScheduler scheduler(ServerConfig config, DeviceDiscovery discovery) {
    List<PoolSpec> pools = new ArrayList<>();
    for (String name : config.poolNames()) {
      try {
        pools.add(new PoolSpec(name, discovery.resolve(config.pools().get(name), config.trainingSlots(),
            config.inferenceSlots()), config.queueCapacity()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("invalid value '" + config.pools().get(name) + "' for pool '" + name + "': "
            + e.getMessage());
      }
    }
    return new DeviceScheduler(pools, config.defaultPool());
  }
}
