package dev.graft.server.security;

import java.util.Map;
import java.util.Set;

/**
 * The role each RPC needs, and whether it changes state (and so is audited). Methods outside
 * this table need the admin role (a new RPC is closed until someone decides otherwise); the
 * {@code grpc.*} services (health, reflection) stay open for probes and tools. Ownership (which
 * dataset or model a trainer may delete) is checked by the services themselves.
 */
public final class MethodPolicy {

  /**
   * @param role the least role that may call the method
   * @param changesState whether a call changes stored state (one audit line each)
   */
  public record Rule(Role role, boolean changesState) {}

  private static final Rule READ = new Rule(Role.READER, false);
  private static final Rule TRAIN = new Rule(Role.TRAINER, true);
  private static final Rule ADMIN = new Rule(Role.ADMIN, true);

  private static final Set<String> OPEN = Set.of(
      "inference.GRPCInferenceService/ServerLive", "inference.GRPCInferenceService/ServerReady");
  private static final Map<String, Rule> RULES = Map.ofEntries(
      Map.entry("graft.v1.InferenceService/Extract", READ),
      Map.entry("inference.GRPCInferenceService/ServerMetadata", READ),
      Map.entry("inference.GRPCInferenceService/ModelReady", READ),
      Map.entry("inference.GRPCInferenceService/ModelMetadata", READ),
      Map.entry("inference.GRPCInferenceService/ModelInfer", READ),
      Map.entry("graft.v1.InferenceService/Predict", READ),
      Map.entry("graft.v1.InferenceService/StreamExtract", READ),
      Map.entry("graft.v1.InferenceService/StreamPredict", READ),
      Map.entry("graft.v1.ModelService/GetModel", READ),
      Map.entry("graft.v1.ModelService/ListModels", READ),
      Map.entry("graft.v1.DatasetService/GetDataset", READ),
      Map.entry("graft.v1.DatasetService/ListDatasets", READ),
      Map.entry("graft.v1.TrainingService/GetJob", READ),
      Map.entry("graft.v1.TrainingService/ListJobs", READ),
      Map.entry("graft.v1.TrainingService/WatchJob", READ),
      Map.entry("graft.v1.ServerService/GetServerInfo", READ),
      Map.entry("graft.v1.DatasetService/UploadDataset", TRAIN),
      Map.entry("graft.v1.DatasetService/DeleteDataset", TRAIN),
      Map.entry("graft.v1.TrainingService/Train", TRAIN),
      Map.entry("graft.v1.TrainingService/CancelJob", TRAIN),
      Map.entry("graft.v1.TrainingService/EstimateTransfer", new Rule(Role.TRAINER, false)),
      Map.entry("graft.v1.ModelService/SetModelAlias", TRAIN),
      Map.entry("graft.v1.ModelService/DeleteModelAlias", TRAIN),
      Map.entry("graft.v1.ModelService/DeleteModel", TRAIN),
      Map.entry("graft.v1.ModelService/ImportModel", ADMIN),
      // Export hands out whole weights: admin only.
      Map.entry("graft.v1.ModelService/ExportModel", new Rule(Role.ADMIN, false)));

  private MethodPolicy() {}

  /**
   * Whether {@code fullMethodName} ("graft.v1.X/Y") is open to callers without credentials: gRPC's
   * own services (health, reflection) and the Open Inference Protocol's liveness and readiness.
   */
  public static boolean isOpen(String fullMethodName) {
    return fullMethodName.startsWith("grpc.") || OPEN.contains(fullMethodName);
  }

  /** The rule for {@code fullMethodName}; admin-only for methods the table does not name. */
  public static Rule rule(String fullMethodName) {
    return RULES.getOrDefault(fullMethodName, ADMIN);
  }
}
