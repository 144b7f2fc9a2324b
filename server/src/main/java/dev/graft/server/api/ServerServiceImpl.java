package dev.graft.server.api;

import dev.graft.api.v1.DeviceInfo;
import dev.graft.api.v1.DevicePoolInfo;
import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.LoadedModel;
import dev.graft.api.v1.PluginInfo;
import dev.graft.api.v1.ServerInfo;
import dev.graft.api.v1.ServerServiceGrpc;
import dev.graft.api.v1.StoreInfo;
import dev.graft.server.app.ServerIdentity;
import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.JobQueue;
import dev.graft.server.core.store.StoreDescription;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.security.Role;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import javax.inject.Inject;

/**
 * ServerService: version, plugins with their state, device pools with their load (and, with a
 * shared store, the cluster's queue), the models loaded in memory and the budget they are kept
 * within, and the store.
 */
public final class ServerServiceImpl extends ServerServiceGrpc.ServerServiceImplBase {
  private final PluginRegistry plugins;
  private final DeviceScheduler scheduler;
  private final ServerIdentity identity;
  private final Calls calls;
  private final ModelRuntime runtime;
  private final JobManager jobs;
  private final StoreDescription store;

  @Inject
  public ServerServiceImpl(PluginRegistry plugins, DeviceScheduler scheduler, ServerIdentity identity, Calls calls,
      ModelRuntime runtime, JobManager jobs, StoreDescription store) {
    this.runtime = runtime;
    this.jobs = jobs;
    this.store = store;
    this.plugins = plugins;
    this.scheduler = scheduler;
    this.identity = identity;
    this.calls = calls;
  }

  @Override
  public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> observer) {
    calls.unary(observer, () -> {
      ServerInfo.Builder info = ServerInfo.newBuilder().setVersion(identity.version()).setReplica(identity.replica());
      plugins.infos().forEach(p -> info.addPlugins(PluginInfo.newBuilder().setId(p.id()).setKind(p.kind())
          .setState(p.state().name()).setVersion(p.version()).setSource(p.source()).setError(p.error())));
      Map<String, JobQueue.Depth> cluster = jobs.clusterQueue();
      scheduler.snapshot().forEach(pool -> {
        JobQueue.Depth depth = cluster.getOrDefault(pool.name(), new JobQueue.Depth(0, 0));
        DevicePoolInfo.Builder b = DevicePoolInfo.newBuilder().setName(pool.name())
            .setQueuedJobs(pool.queued()).setQueueCapacity(pool.queueCapacity())
            .setClusterQueuedJobs(depth.queued()).setClusterRunningJobs(depth.claimed());
        pool.devices().forEach(d -> b.addDevices(DeviceInfo.newBuilder().setId(d.id())
            .setRunningJobs(d.runningJobs()).setQueuedJobs(d.queuedJobs())
            .setMemoryUsed(d.memoryUsed()).setMemoryTotal(d.memoryTotal())
            .setTrainingSlots(d.trainingSlots()).setInferenceSlots(d.inferenceSlots())
            .setRunningInferences(d.runningInferences())));
        info.addPools(b);
      });
      runtime.loaded().forEach(m -> info.addLoadedModels(LoadedModel.newBuilder().setModel(m.ref())
          .setDevice(m.device()).setEstimatedBytes(m.estimatedBytes()).setInUse(m.inUse())
          .setLastUsed(com.google.protobuf.Timestamp.newBuilder().setSeconds(m.lastUsed().getEpochSecond())
              .setNanos(m.lastUsed().getNano()))));
      info.setModelMemoryBudgetBytes(runtime.budget());
      var caller = CallPrincipal.current();
      StoreInfo.Builder storeInfo = StoreInfo.newBuilder().setKind(store.kind())
          .setReplicas(store.replicas().getAsInt());
      if (caller.role().includes(Role.ADMIN)) { // where the store lives is for operators
        storeInfo.setLocation(store.location()).setBlobStore(store.blobStore());
      }
      info.setStore(storeInfo);
      return info.setCaller(caller.name()).setCallerRole(caller.role().label()).build();
    });
  }
}
