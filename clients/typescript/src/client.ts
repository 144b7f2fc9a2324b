import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import { createClient, type CallOptions as ConnectCallOptions, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ExampleSchema, Task } from "./gen/graft/v1/common_pb.js";
import {
  DatasetFormat,
  DatasetService,
  DatasetSpecSchema,
  UploadDatasetRequestSchema,
} from "./gen/graft/v1/datasets_pb.js";
import { InferenceService, Pooling } from "./gen/graft/v1/inference_pb.js";
import { ImportModelRequestSchema, ModelService } from "./gen/graft/v1/models_pb.js";
import { ServerService } from "./gen/graft/v1/server_pb.js";
import { EstimateTransferRequestSchema, JobState, TrainingService, TrainRequestSchema } from "./gen/graft/v1/training_pb.js";
import { GraftError, StatusCode } from "./errors.js";
import { toDataSource, toExample, toInput, type DataSourceLike, type ExampleLike, type InputLike } from "./inputs.js";
import { baseUrl, callHeaders, type HeadersLike } from "./metadata.js";
import { backoffMs, retryPolicy, shouldRetry, sleep, type RetryPolicy } from "./retry.js";
import { sessionOptions, type TlsOptions } from "./tls.js";
import { traceContextInterceptor, type TracingMode } from "./tracing.js";
import {
  datasetFromProto,
  jobEventFromProto,
  jobFromProto,
  modelFromProto,
  predictResultFromProto,
  serverInfoFromProto,
  transferEstimatesFromProto,
  type Dataset,
  type Job,
  type JobEvent,
  type JobStateName,
  type Metric,
  type Model,
  type PredictResult,
  type ServerInfo,
  type TaskName,
  type TransferEstimates,
} from "./results.js";

export interface GraftClientOptions {
  /** `host:port` (plaintext unless `tls`), or an `http://` / `https://` URL. */
  target: string;
  /**
   * Use TLS (HTTP/2 over TLS): `true` trusts the system's roots; `{ ca, cert, key, servername }`
   * trusts your CA and/or presents a client certificate (mutual TLS). An `https://` target implies it.
   */
  tls?: boolean | TlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /**
   * The default deadline of unary calls in milliseconds (default 60 000; 0 = none). Streaming
   * calls (upload, watch, wait) have no default deadline; give them `timeoutMs` or a `signal`.
   */
  timeoutMs?: number;
  /** Retries of idempotent calls on UNAVAILABLE; `false` disables them. */
  retry?: Partial<RetryPolicy> | false;
  /** Headers sent on every call. */
  headers?: HeadersLike;
  /** Extra Connect interceptors (logging, tracing); they run after the trace context one. */
  interceptors?: Interceptor[];
  /**
   * Trace context propagation when `@opentelemetry/api` is installed (an optional peer
   * dependency): `"w3c"` (default) sends the active span's `traceparent`/`tracestate`, `"global"`
   * the globally registered propagator's headers, `false` nothing. Without the package, nothing.
   * Applies to the transport the client makes, not to a `transport` given here.
   */
  tracing?: TracingMode;
  /** Use this transport instead of opening a gRPC connection (tests, custom setups). */
  transport?: Transport;
  /** Size of the chunks an upload sends (default 1 MiB). */
  chunkBytes?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** The deadline of this call in milliseconds, retries included (overrides the default). */
  timeoutMs?: number;
  /** Cancels the call when aborted (e.g. `AbortSignal.timeout(5000)` or a controller's). */
  signal?: AbortSignal;
  /** Extra request headers for this call. */
  headers?: HeadersLike;
}

/** Options of calls about a job given by id: `model` fills `x-graft-model` (the job's output model). */
export interface JobCallOptions extends CallOptions {
  model?: string;
}

export type DatasetFormatName = Exclude<keyof typeof DatasetFormat, "UNSPECIFIED">;

/** What a dataset is; `format` is inferred from a file's extension (.jsonl, .csv, .zip) or from `examples`. */
export interface DatasetSpecInit {
  name: string;
  domain: string;
  format?: DatasetFormat | DatasetFormatName;
  task?: Task | TaskName;
  /** Format options, e.g. CSV column names (`text_column`, `label_column`). */
  options?: Record<string, string>;
}

/** One file of a multi-part dataset (IDX: `images` and `labels`). */
export type DatasetPart = { name: string } & ({ file: string } | { data: Uint8Array });

/**
 * Where a dataset's bytes come from: a file, bytes or a string in memory, several named parts,
 * or in-memory examples (sent in the EXAMPLES format).
 */
export type DatasetSource =
  | { file: string }
  | { data: Uint8Array | string }
  | { parts: readonly DatasetPart[] }
  | { examples: readonly ExampleLike[] };

/** What ImportModel describes: a base model's name, domain, stored format and properties. */
export interface ModelSpecInit {
  name: string;
  domain: string;
  /** The domain's format: `onnx`, `torchscript`, `torch-state-dict`, `tfjs-layers`. */
  format: string;
  /** E.g. `input_size`, `architecture`. */
  properties?: Record<string, string>;
}

/** A model's files: the main file, or several named parts (`""` = the main file). */
export type ModelSource = { file: string } | { data: Uint8Array } | { parts: readonly DatasetPart[] };

/** A training request. `train`/`validation` take a dataset id or name, or in-memory examples. */
export interface TrainOptions {
  baseModel: string;
  /** `feature-extraction`, `knowledge-transfer`, `fine-tuning`, or a plugin's strategy id. */
  strategy: string;
  outputModel: string;
  train: DataSourceLike;
  validation?: DataSourceLike;
  /** Fraction of `train` held out for validation when `validation` is not given. */
  validationSplit?: number;
  /** Inferred from the targets when not given. */
  task?: Task | TaskName;
  hyperparameters?: {
    epochs?: number;
    batchSize?: number;
    learningRate?: number;
    weightDecay?: number;
    earlyStoppingPatience?: number;
    seed?: number | bigint;
    extra?: Record<string, string>;
  };
  devicePool?: string;
  priority?: number;
  labels?: Record<string, string>;
}

/** An `estimateTransfer` request: the labelled data (a dataset id or name, or examples) and the bases to rank. */
export interface EstimateOptions {
  data: DataSourceLike;
  /** Empty or absent = every base model of the data's domain. */
  baseModels?: readonly string[];
  /** Inferred from the targets when not given; classification and regression are scored. */
  task?: Task | TaskName;
  /** At most this many examples are scored (0 or absent = 2000). */
  maxExamples?: number;
}

export interface PredictOptions extends CallOptions {
  /** Classes per input; 0 or absent = all. */
  topK?: number;
}

export interface ExtractOptions extends CallOptions {
  /** Empty = the model's default feature layer. */
  layer?: string;
  pooling?: Pooling | "DEFAULT" | "MEAN" | "CLS" | "MAX";
  /** L2-normalise each vector. */
  normalize?: boolean;
}

/** Features of each input, in input order. */
export interface ExtractResult {
  vectors: Float32Array[];
  dimension: number;
  layer: string;
  /** The model that answered, as name@version. */
  model: string;
}

export interface ListOptions extends CallOptions {
  /** e.g. `"kind=TRAINED"`, `"domain=nlp"`, `"state=RUNNING"`; see the List*Request docs. */
  filter?: string;
  /** Page size of each request; all pages are fetched. */
  pageSize?: number;
}

/** A job to watch, wait for, get or cancel: a {@link Job} (or anything with its `id` and `outputModel`, which fills `x-graft-model`). */
export interface JobRef {
  id: string;
  outputModel?: string;
}

export interface WaitOptions extends JobCallOptions {
  /** Called with each event as it arrives. */
  onEvent?: (event: JobEvent) => void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CHUNK_BYTES = 1 << 20;
const FORMAT_BY_EXTENSION: Record<string, DatasetFormat> = {
  ".jsonl": DatasetFormat.JSONL,
  ".csv": DatasetFormat.CSV,
  ".zip": DatasetFormat.ZIP,
};

/** Whether a job state (a name such as `"SUCCEEDED"`, or the generated enum's number) is final: SUCCEEDED, FAILED or CANCELLED. */
export function isTerminal(state: JobStateName | JobState | string): boolean {
  const name = typeof state === "number" ? JobState[state] : state;
  return name === "SUCCEEDED" || name === "FAILED" || name === "CANCELLED";
}

/**
 * A client of one Graft server (or load balancer). Every call sets `x-graft-model` where it is
 * about a model, has a deadline (the default, or per call), retries UNAVAILABLE when it is
 * idempotent, and fails with a {@link GraftError}.
 *
 * One instance is safe to share by concurrent calls (they multiplex on one HTTP/2 connection);
 * call {@link close} when done, or the open connection keeps the process alive.
 */
export class GraftClient {
  /**
   * The Connect transport the calls go over (its TLS, token-free interceptors, connection).
   * For raw access to the generated messages: `createClient(TrainingService, graft.transport)`
   * (from `@connectrpc/connect`) returns `pb.Job` etc. as they are, without this client's
   * headers, deadlines, retries or conversions.
   */
  readonly transport: Transport;
  private readonly training: Client<typeof TrainingService>;
  private readonly inference: Client<typeof InferenceService>;
  private readonly models: Client<typeof ModelService>;
  private readonly datasets: Client<typeof DatasetService>;
  private readonly server: Client<typeof ServerService>;
  private readonly sessions: Http2SessionManager | undefined;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly headers: Headers;
  private readonly chunkBytes: number;

  constructor(options: GraftClientOptions) {
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = retryPolicy(options.retry);
    this.headers = new Headers(options.headers);
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    let transport = options.transport;
    if (transport === undefined) {
      const url = baseUrl(options.target, options.tls !== undefined && options.tls !== false);
      this.sessions = new Http2SessionManager(url, {}, sessionOptions(url, options.tls));
      const tracing = traceContextInterceptor(options.tracing ?? "w3c");
      transport = createGrpcTransport({
        baseUrl: url,
        sessionManager: this.sessions,
        interceptors: [...(tracing === undefined ? [] : [tracing]), ...(options.interceptors ?? [])],
      });
    }
    this.transport = transport;
    this.training = createClient(TrainingService, transport);
    this.inference = createClient(InferenceService, transport);
    this.models = createClient(ModelService, transport);
    this.datasets = createClient(DatasetService, transport);
    this.server = createClient(ServerService, transport);
  }

  /** Closes the connection; calls in flight fail. */
  close(): void {
    this.sessions?.abort();
  }

  // ---- datasets

  /** Uploads a dataset (UploadDataset stream: the spec, then the bytes in chunks). Not retried. */
  async uploadDataset(spec: DatasetSpecInit, source: DatasetSource, options: CallOptions = {}): Promise<Dataset> {
    const format = datasetFormat(spec, source);
    const first = create(UploadDatasetRequestSchema, {
      value: {
        case: "spec",
        value: create(DatasetSpecSchema, {
          name: spec.name,
          domain: spec.domain,
          format,
          task: taskOf(spec.task),
          options: spec.options ?? {},
        }),
      },
    });
    const chunkBytes = this.chunkBytes;
    async function* requests(): AsyncGenerator<MessageInitShape<typeof UploadDatasetRequestSchema>> {
      yield first;
      for (const part of partsOf(source)) {
        for await (const data of chunksOf(part, chunkBytes)) {
          yield { value: { case: "chunk", value: { data, part: part.name } } };
        }
      }
    }
    return datasetFromProto(await this.invoke((o) => this.datasets.uploadDataset(requests(), o), { options, stream: true }));
  }

  async getDataset(idOrName: string, options: CallOptions = {}): Promise<Dataset> {
    return datasetFromProto(await this.invoke((o) => this.datasets.getDataset({ id: idOrName }, o), { options, idempotent: true }));
  }

  async listDatasets(options: ListOptions = {}): Promise<Dataset[]> {
    return this.pages((req, o) => this.datasets.listDatasets(req, o), (r) => r.datasets.map(datasetFromProto), options);
  }

  /** Deletes a dataset. Not retried. */
  async deleteDataset(idOrName: string, options: CallOptions = {}): Promise<void> {
    await this.invoke((o) => this.datasets.deleteDataset({ id: idOrName }, o), { options });
  }

  // ---- training

  /**
   * Ranks base models for labelled data by how well their frozen features fit it (LogME, plus a
   * linear probe), best first, without training. `baseModels` empty = every base model of the
   * data's domain; `maxExamples` 0 = the server's 2000. Computes features (or reads the feature
   * cache): give a `timeoutMs` of minutes.
   */
  async estimateTransfer(request: EstimateOptions, options: CallOptions = {}): Promise<TransferEstimates> {
    const message = create(EstimateTransferRequestSchema, {
      data: toDataSource(request.data),
      task: taskOf(request.task),
      baseModels: [...(request.baseModels ?? [])],
      maxExamples: request.maxExamples ?? 0,
    });
    return transferEstimatesFromProto(
      await this.invoke((o) => this.training.estimateTransfer(message, o), { options, idempotent: true }),
    );
  }

  /** Starts a training job and returns it at once (QUEUED). Sets `x-graft-model: outputModel`. Not retried. */
  async train(request: TrainOptions, options: CallOptions = {}): Promise<Job> {
    const h = request.hyperparameters ?? {};
    const message = create(TrainRequestSchema, {
      baseModel: request.baseModel,
      strategy: request.strategy,
      outputModel: request.outputModel,
      task: taskOf(request.task),
      train: toDataSource(request.train),
      ...(request.validation === undefined ? {} : { validation: toDataSource(request.validation) }),
      validationSplit: request.validationSplit ?? 0,
      hyperparameters: {
        epochs: h.epochs ?? 0,
        batchSize: h.batchSize ?? 0,
        learningRate: h.learningRate ?? 0,
        weightDecay: h.weightDecay ?? 0,
        earlyStoppingPatience: h.earlyStoppingPatience ?? 0,
        seed: BigInt(h.seed ?? 0),
        extra: h.extra ?? {},
      },
      devicePool: request.devicePool ?? "",
      priority: request.priority ?? 0,
      labels: request.labels ?? {},
    });
    return jobFromProto(await this.invoke((o) => this.training.train(message, o), { options, model: request.outputModel }));
  }

  /**
   * The job's events: its current state first, then each change, ending at a terminal state.
   * Pass the Job (not only its id) so that `x-graft-model` carries its output model. A stream
   * broken by UNAVAILABLE is re-opened (the server starts again from the current state).
   * Breaking out of the loop cancels the stream.
   */
  async *watch(job: string | JobRef, options: JobCallOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    const id = typeof job === "string" ? job : job.id;
    const model = options.model ?? (typeof job === "string" ? undefined : job.outputModel);
    const deadline = this.deadline(options, true);
    const headers = this.headersFor(model, options.headers);
    let attempt = 0;
    // Each stream sends the history in pieces from its beginning: after a reopen, skip what was handed out.
    let handedOut = 0;
    for (;;) {
      attempt++;
      let inStream = 0;
      try {
        for await (const event of this.training.watchJob({ id }, this.connectOptions(headers, deadline, options.signal))) {
          attempt = 0;
          const converted = jobEventFromProto(event);
          const skip = Math.max(0, handedOut - inStream);
          inStream += converted.metrics.length;
          converted.metrics = converted.metrics.slice(skip);
          handedOut += converted.metrics.length;
          yield converted;
        }
        return;
      } catch (e) {
        const err = GraftError.from(e);
        await this.pauseOrThrow(err, attempt, deadline, options.signal);
      }
    }
  }

  /** Watches the job until it ends and returns it as it ended (SUCCEEDED, FAILED or CANCELLED), with its whole history. */
  async wait(job: string | JobRef, options: WaitOptions = {}): Promise<Job> {
    let last: Job | undefined;
    const history: Metric[] = [];
    for await (const event of this.watch(job, options)) {
      options.onEvent?.(event);
      last = event.job;
      for (const m of event.metrics) history.push(m);
    }
    if (last === undefined || !isTerminal(last.state)) {
      return await this.getJob(typeof job === "string" ? job : job.id, options);
    }
    return { ...last, history };
  }

  async getJob(job: string | JobRef, options: JobCallOptions = {}): Promise<Job> {
    const [id, model] = jobRef(job, options);
    return jobFromProto(await this.invoke((o) => this.training.getJob({ id }, o), { options, model, idempotent: true }));
  }

  async listJobs(options: ListOptions = {}): Promise<Job[]> {
    return this.pages((req, o) => this.training.listJobs(req, o), (r) => r.jobs.map(jobFromProto), options);
  }

  /** Asks a queued or running job to stop; returns the job as it is after the request. */
  async cancel(job: string | JobRef, options: JobCallOptions = {}): Promise<Job> {
    const [id, model] = jobRef(job, options);
    return jobFromProto(await this.invoke((o) => this.training.cancelJob({ id }, o), { options, model, idempotent: true }));
  }

  // ---- inference

  /** The outputs of a trained model for each input. Sets `x-graft-model: model`. */
  async predict(model: string, inputs: readonly InputLike[], options: PredictOptions = {}): Promise<PredictResult> {
    const request = { model, inputs: inputs.map(toInput), topK: options.topK ?? 0 };
    return predictResultFromProto(await this.invoke((o) => this.inference.predict(request, o), { options, model, idempotent: true }));
  }

  /** Feature vectors of a base or trained model, one Float32Array per input. Sets `x-graft-model: model`. */
  async extract(model: string, inputs: readonly InputLike[], options: ExtractOptions = {}): Promise<ExtractResult> {
    const pooling = typeof options.pooling === "string" ? Pooling[options.pooling] : (options.pooling ?? Pooling.DEFAULT);
    const request = {
      model,
      inputs: inputs.map(toInput),
      layer: options.layer ?? "",
      pooling,
      normalize: options.normalize ?? false,
    };
    const response = await this.invoke((o) => this.inference.extract(request, o), { options, model, idempotent: true });
    return {
      vectors: response.features.map((f) => Float32Array.from(f.values)),
      dimension: response.dimension,
      layer: response.layer,
      model: response.model,
    };
  }

  // ---- models and server

  /**
   * Imports a base model (ImportModel stream: the spec, then each part in chunks). Part `""` is
   * the main file (an ONNX, TorchScript or state-dict file, a model.json); others are named as
   * the format expects (`tokenizer.json`, weight shards). Not retried.
   */
  async importModel(spec: ModelSpecInit, source: ModelSource, options: CallOptions = {}): Promise<Model> {
    const first: MessageInitShape<typeof ImportModelRequestSchema> = {
      value: {
        case: "spec",
        value: { name: spec.name, domain: spec.domain, format: spec.format, properties: spec.properties ?? {} },
      },
    };
    const chunkBytes = this.chunkBytes;
    async function* requests(): AsyncGenerator<MessageInitShape<typeof ImportModelRequestSchema>> {
      yield first;
      for (const part of "parts" in source ? source.parts : partsOf(source)) {
        for await (const data of chunksOf(part, chunkBytes)) {
          yield { value: { case: "chunk", value: { data, part: part.name } } };
        }
      }
    }
    return modelFromProto(await this.invoke((o) => this.models.importModel(requests(), o), { options, model: spec.name, stream: true }));
  }

  /** A model by `name` (latest version) or `name@version`. */
  async getModel(name: string, options: CallOptions = {}): Promise<Model> {
    return modelFromProto(await this.invoke((o) => this.models.getModel({ name }, o), { options, model: name, idempotent: true }));
  }

  async listModels(options: ListOptions = {}): Promise<Model[]> {
    return this.pages((req, o) => this.models.listModels(req, o), (r) => r.models.map(modelFromProto), options);
  }

  /** Deletes a model (`name@version`, or all versions of `name`). Not retried. */
  async deleteModel(name: string, options: CallOptions = {}): Promise<void> {
    await this.invoke((o) => this.models.deleteModel({ name }, o), { options, model: name });
  }

  /**
   * Points `name:alias` at `name@version` (creating or moving it, atomically); from then on
   * `"name:alias"` names that version wherever a model is named. Returns that version.
   */
  async setModelAlias(name: string, alias: string, version: number, options: CallOptions = {}): Promise<Model> {
    return modelFromProto(
      await this.invoke((o) => this.models.setModelAlias({ name, alias, version }, o), { options, model: name }),
    );
  }

  /** Removes `name:alias`; the version it named stays. */
  async deleteModelAlias(name: string, alias: string, options: CallOptions = {}): Promise<void> {
    await this.invoke((o) => this.models.deleteModelAlias({ name, alias }, o), { options, model: name });
  }

  /** The server's version, plugins and device pools. */
  async serverInfo(options: CallOptions = {}): Promise<ServerInfo> {
    return serverInfoFromProto(await this.invoke((o) => this.server.getServerInfo({}, o), { options, idempotent: true }));
  }

  // ---- plumbing

  private async pages<R extends { nextPageToken: string }, T>(
    call: (req: { pageSize: number; pageToken: string; filter: string }, o: ConnectCallOptions) => Promise<R>,
    items: (response: R) => T[],
    options: ListOptions,
  ): Promise<T[]> {
    const all: T[] = [];
    let pageToken = "";
    do {
      const req = { pageSize: options.pageSize ?? 0, pageToken, filter: options.filter ?? "" };
      const response = await this.invoke((o) => call(req, o), { options, idempotent: true });
      all.push(...items(response));
      pageToken = response.nextPageToken;
    } while (pageToken !== "");
    return all;
  }

  private async invoke<T>(
    run: (o: ConnectCallOptions) => Promise<T>,
    call: { options: CallOptions; model?: string | undefined; idempotent?: boolean; stream?: boolean },
  ): Promise<T> {
    const deadline = this.deadline(call.options, call.stream ?? false);
    const headers = this.headersFor(call.model, call.options.headers);
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(this.connectOptions(headers, deadline, call.options.signal));
      } catch (e) {
        const err = GraftError.from(e);
        if (!call.idempotent) {
          throw err;
        }
        await this.pauseOrThrow(err, attempt, deadline, call.options.signal);
      }
    }
  }

  /** Sleeps before the next attempt, or throws `err` when the policy says not to retry. */
  private async pauseOrThrow(err: GraftError, attempt: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const pause = backoffMs(this.retry, attempt);
    if (!shouldRetry(this.retry, err.code, attempt, deadline - Date.now(), pause)) {
      throw err;
    }
    try {
      await sleep(pause, signal);
    } catch (e) {
      throw new GraftError(StatusCode.CANCELLED, "call cancelled while waiting to retry", { cause: e });
    }
  }

  private deadline(options: CallOptions, stream: boolean): number {
    const timeout = options.timeoutMs ?? (stream ? 0 : this.timeoutMs);
    return timeout > 0 ? Date.now() + timeout : Infinity;
  }

  private headersFor(model: string | undefined, extra: HeadersLike | undefined): Headers {
    const headers = callHeaders({ token: this.token, model, headers: this.headers });
    new Headers(extra).forEach((value, key) => headers.set(key, value));
    return headers;
  }

  private connectOptions(headers: Headers, deadline: number, signal: AbortSignal | undefined): ConnectCallOptions {
    const o: ConnectCallOptions = { headers };
    if (deadline !== Infinity) {
      const remaining = Math.floor(deadline - Date.now());
      if (remaining <= 0) {
        throw new GraftError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded");
      }
      o.timeoutMs = remaining;
    }
    if (signal !== undefined) {
      o.signal = signal;
    }
    return o;
  }
}

function jobRef(job: string | JobRef, options: JobCallOptions): [string, string | undefined] {
  if (typeof job === "string") {
    return [job, options.model];
  }
  return [job.id, options.model ?? job.outputModel];
}

function taskOf(task: Task | TaskName | undefined): Task {
  if (task === undefined) {
    return Task.UNSPECIFIED;
  }
  return typeof task === "number" ? task : Task[task];
}

function datasetFormat(spec: DatasetSpecInit, source: DatasetSource): DatasetFormat {
  if (typeof spec.format === "string") {
    return DatasetFormat[spec.format];
  }
  if (spec.format !== undefined) {
    return spec.format;
  }
  if ("examples" in source) {
    return DatasetFormat.EXAMPLES;
  }
  if ("file" in source) {
    return FORMAT_BY_EXTENSION[extname(source.file).toLowerCase()] ?? DatasetFormat.UNSPECIFIED;
  }
  return DatasetFormat.UNSPECIFIED;
}

function partsOf(source: DatasetSource): DatasetPart[] {
  if ("parts" in source) {
    return [...source.parts];
  }
  if ("file" in source) {
    return [{ name: "", file: source.file }];
  }
  if ("data" in source) {
    const data = typeof source.data === "string" ? new TextEncoder().encode(source.data) : source.data;
    return [{ name: "", data }];
  }
  const encoded = source.examples.map((e) => sizeDelimitedEncode(ExampleSchema, toExample(e)));
  const data = new Uint8Array(encoded.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of encoded) {
    data.set(b, offset);
    offset += b.length;
  }
  return [{ name: "", data }];
}

async function* chunksOf(part: DatasetPart, chunkBytes: number): AsyncGenerator<Uint8Array> {
  if ("data" in part) {
    for (let i = 0; i < part.data.length; i += chunkBytes) {
      yield part.data.subarray(i, i + chunkBytes);
    }
    return;
  }
  for await (const chunk of createReadStream(part.file, { highWaterMark: chunkBytes })) {
    yield chunk as Buffer;
  }
}
