package dev.graft.server.app;

import dagger.Binds;
import dagger.Module;
import dagger.Provides;
import dagger.multibindings.IntoSet;
import dev.graft.server.api.DatasetServiceImpl;
import dev.graft.server.api.InferenceServiceImpl;
import dev.graft.server.api.oip.OipInferenceService;
import dev.graft.server.api.ModelServiceImpl;
import dev.graft.server.api.ServerServiceImpl;
import dev.graft.server.api.TrainingServiceImpl;
import io.grpc.BindableService;
import io.grpc.protobuf.services.HealthStatusManager;
import javax.inject.Singleton;

/** The gRPC services Graft serves, and the health registry shared with the lifecycle. */
@Module
interface GrpcModule {

  @Provides
  @Singleton
  static HealthStatusManager health() {
    return new HealthStatusManager();
  }

  @Binds
  @IntoSet
  BindableService training(TrainingServiceImpl s);

  @Binds
  @IntoSet
  BindableService inference(InferenceServiceImpl s);

  @Binds
  @IntoSet
  BindableService models(ModelServiceImpl s);

  @Binds
  @IntoSet
  BindableService datasets(DatasetServiceImpl s);

  @Binds
  @IntoSet
  BindableService server(ServerServiceImpl s);

  @Binds
  @IntoSet
  BindableService openInference(OipInferenceService s);
}
