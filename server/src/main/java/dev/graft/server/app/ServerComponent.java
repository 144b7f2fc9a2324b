package dev.graft.server.app;

import dagger.BindsInstance;
import dagger.Component;
import javax.inject.Singleton;

/** The server's object graph: one per process (or per test server). */
@Singleton
@Component(modules = {ConfigModule.class, StoreModule.class, PluginModule.class, SchedulerModule.class,
    GrpcModule.class, SecurityModule.class, TelemetryModule.class})
public interface ServerComponent {

  GraftServer server();

  static ServerComponent create(ServerConfig config) {
    return DaggerServerComponent.factory().create(config);
  }

  @Component.Factory
  interface Factory {
    ServerComponent create(@BindsInstance ServerConfig config);
  }
}
