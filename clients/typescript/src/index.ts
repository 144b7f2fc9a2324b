/**
 * Graft client for Node.js: a typed wrapper over Graft's gRPC API.
 *
 * @example
 * const graft = new GraftClient({ target: "localhost:50051" });
 * const job = await graft.train({ baseModel: "minilm-l6", strategy: "feature-extraction",
 *   outputModel: "reviews", train: "reviews" });
 * for await (const event of graft.watch(job)) console.log(event.message);
 */
export {
  GraftClient,
  isTerminal,
  type CallOptions,
  type DatasetFormatName,
  type DatasetPart,
  type DatasetSource,
  type DatasetSpecInit,
  type EstimateOptions,
  type ExtractOptions,
  type ExtractResult,
  type GraftClientOptions,
  type JobCallOptions,
  type JobRef,
  type ListOptions,
  type ModelSource,
  type ModelSpecInit,
  type PredictOptions,
  type TrainOptions,
  type WaitOptions,
} from "./client.js";
export {
  GraftError,
  StatusCode,
  decodeStatusDetails,
  detailsOfStatus,
  statusCodeName,
  type FieldViolation,
  type StatusCodeName,
  type StatusDetails,
} from "./errors.js";
export {
  toDataSource,
  toExample,
  toInput,
  toTarget,
  type DataSourceLike,
  type ExampleLike,
  type InputLike,
  type TargetLike,
  type TensorLike,
} from "./inputs.js";
export { MODEL_HEADER, baseUrl, callHeaders, type HeadersLike } from "./metadata.js";
export { sessionOptions, type TlsOptions } from "./tls.js";
export { traceContextInterceptor, traceparent, type TracingMode } from "./tracing.js";
// The results of GraftClient's calls: plain, JSON-safe objects (they shadow the generated messages
// of the same names, which stay available as pb.Job, pb.Dataset, ...).
export {
  datasetFromProto,
  int64,
  jobErrorFromProto,
  jobEventFromProto,
  jobFromProto,
  metricFromProto,
  modelFromProto,
  predictResultFromProto,
  progressFromProto,
  serverInfoFromProto,
  type ClassScore,
  type Dataset,
  type DatasetFormatValueName,
  type DeviceInfo,
  type DevicePoolInfo,
  type InputSpec,
  type Job,
  type JobError,
  type JobEvent,
  type JobStateName,
  type LoadedModel,
  type ConfusionMatrix,
  type Metric,
  type Model,
  type ModelKindName,
  type PluginInfo,
  type Prediction,
  type PredictResult,
  type Progress,
  type ServerInfo,
  type TaskName,
  type TransferEstimate,
  type TransferEstimates,
} from "./results.js";
export * as pb from "./pb.js";
export { DEFAULT_RETRY_POLICY, backoffMs, retryPolicy, shouldRetry, type RetryPolicy } from "./retry.js";
// The generated messages, enums and service descriptors (graft.v1 and google.rpc); also as pb.*.
export * from "./gen/graft/v1/common_pb.js";
export * from "./gen/graft/v1/datasets_pb.js";
export * from "./gen/graft/v1/inference_pb.js";
export * from "./gen/graft/v1/models_pb.js";
export * from "./gen/graft/v1/server_pb.js";
export * from "./gen/graft/v1/training_pb.js";
export * from "./gen/google/rpc/status_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
