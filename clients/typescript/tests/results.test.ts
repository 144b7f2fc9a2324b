import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import {
  DatasetFormat,
  DatasetService,
  GraftClient,
  InferenceService,
  JobState,
  ModelKind,
  ModelService,
  ServerService,
  Task,
  TrainingService,
  int64,
  isTerminal,
  jobEventFromProto,
  jobFromProto,
  pb,
} from "../src/index.js";

/** Fails unless `value` is made only of JSON-safe plain values: no bigint, no `$`-keys, no class instances but Date. */
function assertPlain(value: unknown, path = "result"): void {
  assert.notEqual(typeof value, "bigint", `${path} is a bigint`);
  assert.notEqual(typeof value, "function", `${path} is a function`);
  if (value === null || typeof value !== "object") {
    return;
  }
  if (value instanceof Date) {
    return;
  }
  const proto = Object.getPrototypeOf(value);
  assert.ok(proto === Object.prototype || proto === Array.prototype, `${path} is a ${proto?.constructor?.name ?? "null-prototype object"}`);
  for (const [key, v] of Object.entries(value)) {
    assert.ok(!key.startsWith("$"), `${path}.${key} is protobuf metadata`);
    assertPlain(v, `${path}.${key}`);
  }
}

const created = new Date("2026-01-02T03:04:05.678Z");

const fullJob = (): pb.Job =>
  create(pb.JobSchema, {
    id: "j1",
    state: JobState.FAILED,
    baseModel: "minilm-l6",
    strategy: "feature-extraction",
    outputModel: "reviews",
    progress: {
      epoch: 2, totalEpochs: 30, step: 12n, totalSteps: 180n, fraction: 0.0667, eta: { seconds: 3n, nanos: 500_000_000 },
      phase: "mlp head", phaseIndex: 2, phaseCount: 2,
    },
    metrics: [{ name: "accuracy", value: 0.5, split: "validation", epoch: 0 }],
    history: [{ name: "accuracy", value: 0.75, split: "validation", epoch: 2, phase: "mlp head" }],
    error: {
      code: 3,
      message: "training diverged",
      details: [anyPack(pb.ErrorInfoSchema, create(pb.ErrorInfoSchema, { reason: "TRAINING_DIVERGED", domain: "graft.dev" }))],
    },
    createTime: timestampFromDate(created),
    labels: { team: "a" },
    createdBy: "alice",
  });

test("a Job is plain: state name, number step and total, eta in ms, Date times, decoded error", () => {
  const job = jobFromProto(fullJob());
  assertPlain(job);
  assert.equal(job.state, "FAILED");
  assert.deepEqual(job.progress, {
    epoch: 2, totalEpochs: 30, step: 12, totalSteps: 180, fraction: 0.0667, etaMs: 3500,
    phase: "mlp head", phaseIndex: 2, phaseCount: 2,
  });
  assert.deepEqual(job.metrics, [{ name: "accuracy", value: 0.5, split: "validation", epoch: 0, phase: "" }]);
  assert.deepEqual(job.history, [{ name: "accuracy", value: 0.75, split: "validation", epoch: 2, phase: "mlp head" }]);
  assert.equal(job.createTime?.getTime(), created.getTime());
  assert.equal(job.startTime, undefined);
  assert.equal(job.error?.codeName, "INVALID_ARGUMENT");
  assert.equal(job.error?.reason, "TRAINING_DIVERGED");
  assert.equal(job.error?.message, "training diverged");
  assert.deepEqual(job.labels, { team: "a" });
  const json = JSON.parse(JSON.stringify(job));
  assert.equal(json.createTime, "2026-01-02T03:04:05.678Z");
  assert.equal(json.progress.step, 12);
  assert.ok(!JSON.stringify(job).includes("$typeName"));
});

test("an enum value this client does not know comes out as its number; int64 beyond 2^53 rounds", () => {
  const job = jobFromProto(create(pb.JobSchema, { id: "j", state: 42 as JobState }));
  assert.equal(job.state, "42");
  assert.equal(isTerminal(job.state), false);
  assert.equal(int64(9_007_199_254_740_993n), 9_007_199_254_740_992);
  assert.equal(int64(-5n), -5);
});

test("isTerminal takes state names and the generated enum's numbers", () => {
  for (const s of ["SUCCEEDED", "FAILED", "CANCELLED", JobState.SUCCEEDED, JobState.CANCELLED]) {
    assert.equal(isTerminal(s), true, String(s));
  }
  for (const s of ["QUEUED", "RUNNING", JobState.RUNNING, JobState.UNSPECIFIED]) {
    assert.equal(isTerminal(s), false, String(s));
  }
});

test("a JobEvent without its job is refused with a TypeError", () => {
  assert.throws(() => jobEventFromProto(create(pb.JobEventSchema, { message: "m" })), TypeError);
});

function clientOf(routes: (router: ConnectRouter) => void): GraftClient {
  return new GraftClient({ target: "unused:0", transport: createRouterTransport(routes), retry: false });
}

test("every call's result is plain and JSON.stringify-able", async () => {
  const graft = clientOf((r) => {
    r.service(TrainingService, {
      getJob: () => fullJob(),
      listJobs: () => ({ jobs: [fullJob()] }),
      async *watchJob() {
        yield { job: fullJob(), message: "failed" };
      },
    });
    r.service(DatasetService, {
      getDataset: () => ({
        id: "d1",
        name: "reviews",
        examples: 16n,
        labels: ["negative", "positive"],
        labelCounts: { negative: 8n, positive: 8n },
        sizeBytes: 1234n,
        format: DatasetFormat.JSONL,
        task: Task.CLASSIFICATION,
        createTime: timestampFromDate(created),
      }),
    });
    r.service(ModelService, {
      getModel: (req) => ({
        name: req.name,
        version: 3,
        kind: ModelKind.TRAINED,
        task: Task.REGRESSION,
        input: { shape: [1n, 384n], maxTokens: 128, mean: [0.5] },
        sizeBytes: 4096n,
        metrics: [{ name: "mae", value: 0.1, split: "test" }],
        hyperparameters: { epochs: "30" },
      }),
    });
    r.service(InferenceService, {
      predict: () => ({ model: "m@1", predictions: [{ classes: [{ label: "positive", score: 0.75 }] }, { values: [1.5, 2.5] }] }),
    });
    r.service(ServerService, {
      getServerInfo: () => ({
        version: "0.1.0",
        pools: [{ name: "default", devices: [{ id: "cpu", memoryUsed: 10n, memoryTotal: 20n }], queueCapacity: 64 }],
        loadedModels: [{ model: "minilm-l6@1", estimatedBytes: 90_000_000n, inUse: true, lastUsed: timestampFromDate(created) }],
        modelMemoryBudgetBytes: 2_000_000_000n,
      }),
    });
  });

  const job = await graft.getJob("j1");
  const jobs = await graft.listJobs();
  const events = [];
  for await (const e of graft.watch("j1")) {
    events.push(e);
  }
  const dataset = await graft.getDataset("d1");
  const model = await graft.getModel("reviews");
  const predicted = await graft.predict("m", ["x", "y"]);
  const info = await graft.serverInfo();
  for (const [name, value] of Object.entries({ job, jobs, events, dataset, model, predicted, info })) {
    assertPlain(value, name);
    assert.doesNotThrow(() => JSON.stringify(value), name);
  }

  assert.equal(job.state, "FAILED");
  assert.equal(jobs[0]?.progress?.totalSteps, 180);
  assert.equal(events[0]?.job.error?.reason, "TRAINING_DIVERGED");
  assert.equal(dataset.examples, 16);
  assert.deepEqual(dataset.labelCounts, { negative: 8, positive: 8 });
  assert.equal(dataset.sizeBytes, 1234);
  assert.equal(dataset.format, "JSONL");
  assert.equal(dataset.task, "CLASSIFICATION");
  assert.equal(dataset.createTime?.toISOString(), created.toISOString());
  assert.equal(model.kind, "TRAINED");
  assert.equal(model.task, "REGRESSION");
  assert.deepEqual(model.input?.shape, [1, 384]);
  assert.equal(model.input?.maxTokens, 128);
  assert.equal(model.sizeBytes, 4096);
  assert.deepEqual(model.hyperparameters, { epochs: "30" });
  assert.deepEqual(predicted, {
    model: "m@1",
    predictions: [
      { classes: [{ label: "positive", score: 0.75 }], values: [] },
      { classes: [], values: [1.5, 2.5] },
    ],
  });
  assert.equal(info.pools[0]?.devices[0]?.memoryTotal, 20);
  assert.equal(info.pools[0]?.queueCapacity, 64);
  assert.equal(info.loadedModels[0]?.estimatedBytes, 90_000_000);
  assert.equal(info.loadedModels[0]?.lastUsed?.getTime(), created.getTime());
  assert.equal(info.modelMemoryBudgetBytes, 2_000_000_000);
});

test("the transport gives raw access: the generated messages, exact int64s", async () => {
  const { createClient } = await import("@connectrpc/connect");
  const graft = clientOf((r) => {
    r.service(DatasetService, { getDataset: () => ({ id: "d1", sizeBytes: 9_007_199_254_740_993n }) });
  });
  const raw = await createClient(DatasetService, graft.transport).getDataset({ id: "d1" });
  assert.equal(raw.$typeName, "graft.v1.Dataset");
  assert.equal(raw.sizeBytes, 9_007_199_254_740_993n);
});

test("setModelAlias returns the model with its aliases and its confusion matrix as rows", async () => {
  let asked: { name: string; alias: string; version: number } | undefined;
  const graft = new GraftClient({
    target: "unused:0",
    transport: createRouterTransport((r: ConnectRouter) => {
      r.service(ModelService, {
        setModelAlias(req) {
          asked = { name: req.name, alias: req.alias, version: req.version };
          return create(pb.ModelSchema, {
            name: req.name, version: req.version, aliases: [req.alias],
            confusionMatrix: { labels: ["neg", "pos"], counts: [5n, 1n, 2n, 7n], split: "validation" },
          });
        },
        deleteModelAlias(req) {
          return create(pb.DeleteModelAliasResponseSchema, { name: req.name, alias: req.alias });
        },
      });
    }),
  });
  const model = await graft.setModelAlias("reviews", "prod", 3);
  assert.deepEqual(asked, { name: "reviews", alias: "prod", version: 3 });
  assertPlain(model);
  assert.deepEqual(model.aliases, ["prod"]);
  assert.deepEqual(model.confusionMatrix, { labels: ["neg", "pos"], counts: [[5, 1], [2, 7]], split: "validation" });
  await graft.deleteModelAlias("reviews", "prod");
});

test("estimateTransfer sends the data and bases and returns plain rows, best first", async () => {
  let sent: pb.EstimateTransferRequest | undefined;
  const graft = new GraftClient({
    target: "unused:0",
    transport: createRouterTransport((r: ConnectRouter) => {
      r.service(TrainingService, {
        estimateTransfer(req) {
          sent = req;
          return create(pb.EstimateTransferResponseSchema, {
            task: Task.CLASSIFICATION, examples: 800,
            estimates: [
              { baseModel: "bge-small-en@1", logme: 0.112, probeScore: 0.981, dimension: 384, seconds: 33.6 },
              { baseModel: "minilm-l6@1", logme: -0.339, dimension: 384, seconds: 18, cached: true },
            ],
          });
        },
      });
    }),
  });
  const result = await graft.estimateTransfer({ data: "reviews", baseModels: ["bge-small-en", "minilm-l6"] });
  assert.equal(sent?.data?.source.case, "dataset");
  assert.deepEqual(sent?.baseModels, ["bge-small-en", "minilm-l6"]);
  assertPlain(result);
  assert.equal(result.task, "CLASSIFICATION");
  assert.deepEqual(result.estimates.map((e) => [e.baseModel, e.probeScore, e.cached]),
    [["bge-small-en@1", 0.981, false], ["minilm-l6@1", undefined, true]]);
});
