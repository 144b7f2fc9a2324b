// The proto3-JSON shapes of the messages the dashboard reads (proto/src/main/proto/graft/v1).
// int64 fields arrive as strings; absent fields are their defaults.

/** epoch: 1-based within its phase; 0 = a final metric (the kept model's). phase: "" for a single-phase job. */
export interface Metric { name: string; value?: number; split?: string; epoch?: number; phase?: string }
export interface Progress {
  epoch?: number; totalEpochs?: number; step?: string; totalSteps?: string; fraction?: number; eta?: string;
  phase?: string; phaseIndex?: number; phaseCount?: number;
}
export interface RpcStatus {
  code?: number; message?: string;
  details?: Array<{ "@type": string; reason?: string; fieldViolations?: Array<{ field: string; description: string }> }>;
}
export interface Job {
  id: string; state: string; baseModel?: string; strategy?: string; outputModel?: string;
  progress?: Progress; metrics?: Metric[]; error?: RpcStatus; device?: string; createTime?: string;
  startTime?: string; endTime?: string; resultModel?: string; devicePool?: string; createdBy?: string;
  /** The per-epoch metrics (GetJob, CancelJob, ListJobs with view FULL; never on WatchJob's job). */
  history?: Metric[];
}
/** metrics: the per-epoch metrics new since this stream's previous event (the first carries the history so far). */
export interface JobEvent { job: Job; message?: string; metrics?: Metric[] }
/** counts[i * labels.length + j]: true labels[i], predicted labels[j] (int64 as strings). */
export interface ConfusionMatrix { labels?: string[]; counts?: string[]; split?: string }
export interface Model {
  name: string; version: number; kind: string; domain?: string; engine?: string; format?: string;
  baseModel?: string; strategy?: string; dataset?: string; task?: string; labels?: string[];
  metrics?: Metric[]; sizeBytes?: string; createTime?: string; hyperparameters?: Record<string, string>;
  jobId?: string; dimension?: number; createdBy?: string; properties?: Record<string, string>;
  confusionMatrix?: ConfusionMatrix;
}
export interface Dataset {
  id: string; name: string; domain?: string; examples?: string; labels?: string[];
  labelCounts?: Record<string, string>; sizeBytes?: string; format?: string; task?: string;
  createTime?: string; createdBy?: string; sha256?: string;
}
export interface DeviceInfo {
  id: string; runningJobs?: number; queuedJobs?: number; memoryUsed?: string; memoryTotal?: string;
  trainingSlots?: number; inferenceSlots?: number; runningInferences?: number;
}
export interface DevicePool { name: string; devices?: DeviceInfo[]; queuedJobs?: number; queueCapacity?: number }
export interface LoadedModel { model: string; device?: string; estimatedBytes?: string; inUse?: boolean; lastUsed?: string }
export interface ServerInfo {
  version?: string; replica?: string; pools?: DevicePool[]; loadedModels?: LoadedModel[];
  modelMemoryBudgetBytes?: string;
}
export interface ClassScore { label: string; score?: number }
export interface PredictResponse { predictions: Array<{ classes?: ClassScore[]; values?: number[] }>; model?: string }
export interface ExtractResponse { features: Array<{ values?: number[] }>; dimension?: number; layer?: string; model?: string }
