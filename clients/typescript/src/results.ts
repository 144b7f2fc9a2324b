// What GraftClient returns: plain, JSON-safe objects converted from the generated messages at the
// client boundary. No `$typeName`, no bigint (int64 fields are numbers), enums as their names
// ("RUNNING", "CLASSIFICATION"), timestamps as Date, durations in milliseconds; maps are plain
// records. JSON.stringify and console.log print them as they are. The generated messages stay
// available (`pb.*`, and the `*FromProto` functions below convert one you got elsewhere).
import { timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Metric as PbMetric, Progress as PbProgress, InputSpec as PbInputSpec } from "./gen/graft/v1/common_pb.js";
import { DatasetFormat, type Dataset as PbDataset } from "./gen/graft/v1/datasets_pb.js";
import type { PredictResponse as PbPredictResponse } from "./gen/graft/v1/inference_pb.js";
import { ModelKind, type Model as PbModel } from "./gen/graft/v1/models_pb.js";
import type { ServerInfo as PbServerInfo } from "./gen/graft/v1/server_pb.js";
import { JobState, type EstimateTransferResponse as PbEstimateTransferResponse, type Job as PbJob, type JobEvent as PbJobEvent } from "./gen/graft/v1/training_pb.js";
import { Task } from "./gen/graft/v1/common_pb.js";
import type { Status } from "./gen/google/rpc/status_pb.js";
import { detailsOfStatus, statusCodeName, type FieldViolation, type StatusCodeName } from "./errors.js";

/** A job state's name. A value this client does not know (from a newer server) is its number, as a string. */
export type JobStateName = Exclude<keyof typeof JobState, number>;
/** A model kind's name. */
export type ModelKindName = Exclude<keyof typeof ModelKind, number>;
/** A dataset format's name (`"UNSPECIFIED"` included, as the server may report it). */
export type DatasetFormatValueName = Exclude<keyof typeof DatasetFormat, number>;
/** A task's name. */
export type TaskName = Exclude<keyof typeof Task, number>;

/** A named measurement: `loss`, `accuracy`, `macro_f1`, `mae`, `rmse`, `mase` on split `train`, `validation` or `test`. */
export interface Metric {
  name: string;
  value: number;
  split: string;
  /** 1-based within its phase; 0 = a final metric (the kept model's). */
  epoch: number;
  /** The training phase it was measured in (`""` when the job has a single phase). */
  phase: string;
}

/** How far a job is. */
export interface Progress {
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  /** 0..1 */
  fraction: number;
  /** Estimated time left in milliseconds, when the server gave one. */
  etaMs?: number;
  /** The running phase (`"linear 384->2 head"`), `""` for a single-phase job; `epoch` counts within it. */
  phase: string;
  /** 1-based; 0 without phases. */
  phaseIndex: number;
  phaseCount: number;
}

/** Why a job FAILED: its `google.rpc.Status`, with the ErrorInfo and BadRequest details decoded. */
export interface JobError {
  code: number;
  /** e.g. `"INVALID_ARGUMENT"` */
  codeName: StatusCodeName;
  message: string;
  /** `ErrorInfo.reason`, e.g. `"TRAINING_DIVERGED"`; `""` when none. */
  reason: string;
  domain: string;
  metadata: Record<string, string>;
  fieldViolations: FieldViolation[];
}

/** A training job. */
export interface Job {
  id: string;
  state: JobStateName;
  baseModel: string;
  strategy: string;
  outputModel: string;
  progress?: Progress;
  /** The final metrics (epoch 0): the kept model's, once the job succeeded. */
  metrics: Metric[];
  /**
   * The per-epoch metrics in the order measured. Set by `getJob`, `cancelJob`, `wait`; a watch's
   * events carry it in pieces (`JobEvent.metrics`), so their `job.history` is empty.
   */
  history: Metric[];
  /** Set when the job FAILED. */
  error?: JobError;
  device: string;
  createTime?: Date;
  startTime?: Date;
  endTime?: Date;
  /** The model the job produced (`name@version`), once it has succeeded; `""` before. */
  resultModel: string;
  devicePool: string;
  labels: Record<string, string>;
  /** The principal that submitted it. */
  createdBy: string;
}

/** The job as it is now, and a human-readable line about what changed. */
export interface JobEvent {
  /** The job as it is now, without its history. */
  job: Job;
  message: string;
  /** The per-epoch metrics measured since the previous event (the first event: the whole history so far). */
  metrics: Metric[];
}

/** An uploaded dataset. */
export interface Dataset {
  id: string;
  name: string;
  domain: string;
  examples: number;
  labels: string[];
  labelCounts: Record<string, number>;
  sha256: string;
  sizeBytes: number;
  format: DatasetFormatValueName;
  task: TaskName;
  createTime?: Date;
  createdBy: string;
}

/** What a model expects as input; only the fields that apply are set (the others are 0 or empty). */
export interface InputSpec {
  shape: number[];
  maxTokens: number;
  contextLength: number;
  horizon: number;
  mean: number[];
  std: number[];
}

/** How well one base model's frozen features fit a data set (a row of `estimateTransfer`). */
export interface TransferEstimate {
  baseModel: string;
  /** LogME: higher is better; comparable across bases for one data set. */
  logme: number;
  /** Held-out accuracy (classification) or R² (regression) of a linear probe; absent when not computed. */
  probeScore?: number;
  dimension: number;
  seconds: number;
  /** Whether the features came from the feature cache. */
  cached: boolean;
}

/** `estimateTransfer`'s answer: one row per base model, best first. */
export interface TransferEstimates {
  estimates: TransferEstimate[];
  task: TaskName;
  examples: number;
}

export function transferEstimatesFromProto(r: PbEstimateTransferResponse): TransferEstimates {
  return {
    estimates: r.estimates.map((e) => ({
      baseModel: e.baseModel,
      logme: e.logme,
      ...(e.probeScore === undefined ? {} : { probeScore: e.probeScore }),
      dimension: e.dimension,
      seconds: e.seconds,
      cached: e.cached,
    })),
    task: enumName<TaskName>(Task, r.task),
    examples: r.examples,
  };
}

/** A classifier's confusion matrix: `counts[i][j]` examples of true label `labels[i]` predicted as `labels[j]`. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
  /** The split it was measured on (`"validation"`). */
  split: string;
}

/** A base or trained model (one version). */
export interface Model {
  name: string;
  version: number;
  kind: ModelKindName;
  domain: string;
  engine: string;
  format: string;
  baseModel: string;
  strategy: string;
  dataset: string;
  task: TaskName;
  labels: string[];
  metrics: Metric[];
  input?: InputSpec;
  sizeBytes: number;
  createTime?: Date;
  properties: Record<string, string>;
  datasetSha256: string;
  hyperparameters: Record<string, string>;
  jobId: string;
  dimension: number;
  createdBy: string;
  /** The aliases naming this version (`"prod"`: `NAME:prod` names it). */
  aliases: string[];
  /** A classifier's confusion matrix on its validation split, when its job stored one. */
  confusionMatrix?: ConfusionMatrix;
}

/** One class of a prediction and its probability. */
export interface ClassScore {
  label: string;
  score: number;
}

/** The output for one input: `classes` (classification, highest score first) or `values` (regression, forecasting). */
export interface Prediction {
  classes: ClassScore[];
  values: number[];
}

/** What Predict returns. */
export interface PredictResult {
  predictions: Prediction[];
  /** The model that answered, as `name@version`. */
  model: string;
}

export interface PluginInfo {
  id: string;
  /** `strategy` or `domain` */
  kind: string;
  /** `ACTIVE` or `FAILED` */
  state: string;
  version: string;
  /** `builtin`, or the jar it came from */
  source: string;
  error: string;
}

export interface DeviceInfo {
  /** `cpu`, `gpu:0` */
  id: string;
  runningJobs: number;
  queuedJobs: number;
  memoryUsed: number;
  memoryTotal: number;
  trainingSlots: number;
  inferenceSlots: number;
  runningInferences: number;
}

export interface DevicePoolInfo {
  name: string;
  devices: DeviceInfo[];
  queuedJobs: number;
  queueCapacity: number;
}

/** A model loaded in the answering replica's memory. */
export interface LoadedModel {
  /** `name@version` */
  model: string;
  device: string;
  estimatedBytes: number;
  /** Held by a call or a training job right now. */
  inUse: boolean;
  lastUsed?: Date;
}

/** The server's version, plugins, device pools and loaded models. */
export interface ServerInfo {
  version: string;
  plugins: PluginInfo[];
  pools: DevicePoolInfo[];
  /** The replica that answered. */
  replica: string;
  /** Least recently used first. */
  loadedModels: LoadedModel[];
  modelMemoryBudgetBytes: number;
}

// ---- conversions

/**
 * An int64 as a number. Counts and byte sizes are far below 2^53; a value beyond
 * Number.MAX_SAFE_INTEGER is rounded to the nearest double (the generated message, `pb.*`, keeps
 * the exact bigint).
 */
export function int64(value: bigint): number {
  return Number(value);
}

function enumName<N extends string>(names: Record<number, string>, value: number): N {
  return (names[value] ?? String(value)) as N;
}

function date(ts: Timestamp | undefined): Date | undefined {
  return ts === undefined ? undefined : timestampDate(ts);
}

function durationMs(d: Duration): number {
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** Copies a string-keyed map (the generated ones are plain objects, but may have a null prototype). */
function record<V, R>(map: Record<string, V>, convert: (v: V) => R): Record<string, R> {
  const out: Record<string, R> = {};
  for (const [k, v] of Object.entries(map)) {
    out[k] = convert(v);
  }
  return out;
}

const same = <T>(v: T): T => v;

export function metricFromProto(m: PbMetric): Metric {
  return { name: m.name, value: m.value, split: m.split, epoch: m.epoch, phase: m.phase };
}

export function progressFromProto(p: PbProgress): Progress {
  return {
    epoch: p.epoch,
    totalEpochs: p.totalEpochs,
    step: int64(p.step),
    totalSteps: int64(p.totalSteps),
    fraction: p.fraction,
    ...(p.eta === undefined ? {} : { etaMs: durationMs(p.eta) }),
    phase: p.phase,
    phaseIndex: p.phaseIndex,
    phaseCount: p.phaseCount,
  };
}

export function jobErrorFromProto(status: Status): JobError {
  const d = detailsOfStatus(status);
  return {
    code: d.code,
    codeName: statusCodeName(d.code),
    message: d.message,
    reason: d.reason,
    domain: d.domain,
    metadata: d.metadata,
    fieldViolations: d.fieldViolations,
  };
}

export function jobFromProto(j: PbJob): Job {
  const job: Job = {
    id: j.id,
    state: enumName<JobStateName>(JobState, j.state),
    baseModel: j.baseModel,
    strategy: j.strategy,
    outputModel: j.outputModel,
    metrics: j.metrics.map(metricFromProto),
    history: j.history.map(metricFromProto),
    device: j.device,
    resultModel: j.resultModel,
    devicePool: j.devicePool,
    labels: record(j.labels, same),
    createdBy: j.createdBy,
  };
  if (j.progress) job.progress = progressFromProto(j.progress);
  if (j.error) job.error = jobErrorFromProto(j.error);
  const [created, started, ended] = [date(j.createTime), date(j.startTime), date(j.endTime)];
  if (created) job.createTime = created;
  if (started) job.startTime = started;
  if (ended) job.endTime = ended;
  return job;
}

/** Throws a TypeError for an event without its job (the server always sends it). */
export function jobEventFromProto(e: PbJobEvent): JobEvent {
  if (e.job === undefined) {
    throw new TypeError(`a JobEvent without its job (message "${e.message}")`);
  }
  return { job: jobFromProto(e.job), message: e.message, metrics: e.metrics.map(metricFromProto) };
}

export function datasetFromProto(d: PbDataset): Dataset {
  const dataset: Dataset = {
    id: d.id,
    name: d.name,
    domain: d.domain,
    examples: int64(d.examples),
    labels: [...d.labels],
    labelCounts: record(d.labelCounts, int64),
    sha256: d.sha256,
    sizeBytes: int64(d.sizeBytes),
    format: enumName<DatasetFormatValueName>(DatasetFormat, d.format),
    task: enumName<TaskName>(Task, d.task),
    createdBy: d.createdBy,
  };
  const created = date(d.createTime);
  if (created) dataset.createTime = created;
  return dataset;
}

export function inputSpecFromProto(s: PbInputSpec): InputSpec {
  return {
    shape: s.shape.map(int64),
    maxTokens: s.maxTokens,
    contextLength: s.contextLength,
    horizon: s.horizon,
    mean: [...s.mean],
    std: [...s.std],
  };
}

export function modelFromProto(m: PbModel): Model {
  const model: Model = {
    name: m.name,
    version: m.version,
    kind: enumName<ModelKindName>(ModelKind, m.kind),
    domain: m.domain,
    engine: m.engine,
    format: m.format,
    baseModel: m.baseModel,
    strategy: m.strategy,
    dataset: m.dataset,
    task: enumName<TaskName>(Task, m.task),
    labels: [...m.labels],
    metrics: m.metrics.map(metricFromProto),
    sizeBytes: int64(m.sizeBytes),
    properties: record(m.properties, same),
    datasetSha256: m.datasetSha256,
    hyperparameters: record(m.hyperparameters, same),
    jobId: m.jobId,
    dimension: m.dimension,
    createdBy: m.createdBy,
    aliases: [...m.aliases],
  };
  if (m.input) model.input = inputSpecFromProto(m.input);
  const cm = m.confusionMatrix;
  const n = cm?.labels.length ?? 0;
  if (cm && n > 0 && cm.counts.length === n * n) {
    const counts = Array.from({ length: n }, (_, i) => cm.counts.slice(i * n, (i + 1) * n).map(int64));
    model.confusionMatrix = { labels: [...cm.labels], counts, split: cm.split };
  }
  const created = date(m.createTime);
  if (created) model.createTime = created;
  return model;
}

export function predictResultFromProto(r: PbPredictResponse): PredictResult {
  return {
    predictions: r.predictions.map((p) => ({
      classes: p.classes.map((c) => ({ label: c.label, score: c.score })),
      values: [...p.values],
    })),
    model: r.model,
  };
}

export function serverInfoFromProto(s: PbServerInfo): ServerInfo {
  return {
    version: s.version,
    plugins: s.plugins.map((p) => ({
      id: p.id,
      kind: p.kind,
      state: p.state,
      version: p.version,
      source: p.source,
      error: p.error,
    })),
    pools: s.pools.map((pool) => ({
      name: pool.name,
      devices: pool.devices.map((d) => ({
        id: d.id,
        runningJobs: d.runningJobs,
        queuedJobs: d.queuedJobs,
        memoryUsed: int64(d.memoryUsed),
        memoryTotal: int64(d.memoryTotal),
        trainingSlots: d.trainingSlots,
        inferenceSlots: d.inferenceSlots,
        runningInferences: d.runningInferences,
      })),
      queuedJobs: pool.queuedJobs,
      queueCapacity: pool.queueCapacity,
    })),
    replica: s.replica,
    loadedModels: s.loadedModels.map((l) => {
      const loaded: LoadedModel = {
        model: l.model,
        device: l.device,
        estimatedBytes: int64(l.estimatedBytes),
        inUse: l.inUse,
      };
      const lastUsed = date(l.lastUsed);
      if (lastUsed) loaded.lastUsed = lastUsed;
      return loaded;
    }),
    modelMemoryBudgetBytes: int64(s.modelMemoryBudgetBytes),
  };
}
