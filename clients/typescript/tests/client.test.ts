import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import {
  DatasetFormat,
  DatasetService,
  ErrorInfoSchema,
  ExampleSchema,
  GraftClient,
  GraftError,
  InferenceService,
  JobSchema,
  JobState,
  ModelService,
  StatusCode,
  TrainingService,
  type ImportModelRequest,
  type pb,
  type UploadDatasetRequest,
} from "../src/index.js";

/** A client over an in-memory router: the calls run through Connect but never touch a socket. */
function clientOf(routes: (router: ConnectRouter) => void, token?: string): GraftClient {
  return new GraftClient({
    target: "unused:0",
    transport: createRouterTransport(routes),
    retry: { initialBackoffMs: 1, maxBackoffMs: 2 },
    ...(token === undefined ? {} : { token }),
  });
}

const job = (state: JobState, step = 0n): pb.Job =>
  create(JobSchema, { id: "j1", state, outputModel: "out", progress: { step } });

test("predict and extract set x-graft-model, the bearer token and a deadline", async () => {
  const seen: Array<[string | null, string | null, number | undefined]> = [];
  const graft = clientOf((r) => {
    r.service(InferenceService, {
      predict(req, ctx) {
        seen.push([ctx.requestHeader.get("x-graft-model"), ctx.requestHeader.get("authorization"), ctx.timeoutMs()]);
        assert.equal(req.inputs[0]?.value.case, "text");
        return { model: `${req.model}@1`, predictions: [{ classes: [{ label: "positive", score: 1 }] }] };
      },
      extract(req, ctx) {
        seen.push([ctx.requestHeader.get("x-graft-model"), ctx.requestHeader.get("authorization"), ctx.timeoutMs()]);
        assert.equal(req.normalize, true);
        return { dimension: 2, features: req.inputs.map(() => ({ values: [0.6, 0.8] })) };
      },
    });
  }, "tok");
  const p = await graft.predict("reviews", ["great"], { topK: 1, timeoutMs: 5_000 });
  assert.equal(p.model, "reviews@1");
  const x = await graft.extract("minilm-l6", ["a", "b"], { normalize: true });
  assert.equal(x.vectors.length, 2);
  assert.ok(x.vectors[0] instanceof Float32Array);
  assert.deepEqual(Array.from(x.vectors[1] ?? []), [Math.fround(0.6), Math.fround(0.8)]);
  assert.equal(seen[0]?.[0], "reviews");
  assert.equal(seen[0]?.[1], "Bearer tok");
  assert.ok((seen[0]?.[2] ?? 0) > 4_000 && (seen[0]?.[2] ?? 0) <= 5_000, `per-call deadline ${seen[0]?.[2]}`);
  assert.equal(seen[1]?.[0], "minilm-l6");
  assert.ok((seen[1]?.[2] ?? 0) > 55_000, `default deadline ${seen[1]?.[2]}`);
});

test("train sets x-graft-model to the output model and sends the request fields", async () => {
  let model: string | null = null;
  const graft = clientOf((r) => {
    r.service(TrainingService, {
      train(req, ctx) {
        model = ctx.requestHeader.get("x-graft-model");
        assert.equal(req.train?.source.case, "dataset");
        assert.equal(req.train?.source.value, "ds");
        assert.equal(req.hyperparameters?.epochs, 30);
        assert.equal(req.hyperparameters?.seed, 7n);
        assert.ok(Math.abs(req.validationSplit - 0.25) < 1e-6);
        return job(JobState.QUEUED);
      },
    });
  });
  const j = await graft.train({
    baseModel: "minilm-l6",
    strategy: "feature-extraction",
    outputModel: "out",
    train: "ds",
    validationSplit: 0.25,
    hyperparameters: { epochs: 30, seed: 7 },
  });
  assert.equal(j.state, "QUEUED");
  assert.equal(model, "out");
});

test("idempotent calls retry UNAVAILABLE; Train does not", async () => {
  let predicts = 0;
  let trains = 0;
  const graft = clientOf((r) => {
    r.service(InferenceService, {
      predict() {
        predicts++;
        if (predicts < 3) {
          throw new ConnectError("try again", Code.Unavailable);
        }
        return { model: "m@1" };
      },
    });
    r.service(TrainingService, {
      train() {
        trains++;
        throw new ConnectError("down", Code.Unavailable);
      },
    });
  });
  assert.equal((await graft.predict("m", ["x"])).model, "m@1");
  assert.equal(predicts, 3);
  await assert.rejects(
    graft.train({ baseModel: "b", strategy: "s", outputModel: "o", train: "d" }),
    (e: unknown) => e instanceof GraftError && e.code === StatusCode.UNAVAILABLE,
  );
  assert.equal(trains, 1);
});

test("retries stop after maxAttempts and other codes are not retried", async () => {
  let calls = 0;
  const graft = clientOf((r) => {
    r.service(ModelService, {
      getModel(req) {
        calls++;
        if (req.name === "down") {
          throw new ConnectError("down", Code.Unavailable);
        }
        throw new ConnectError("no model", Code.NotFound, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "MODEL_NOT_FOUND", domain: "graft.dev" } },
        ]);
      },
    });
  });
  await assert.rejects(graft.getModel("down"), (e: unknown) => e instanceof GraftError && e.codeName === "UNAVAILABLE");
  assert.equal(calls, 4);
  calls = 0;
  await assert.rejects(
    graft.getModel("nope"),
    (e: unknown) => e instanceof GraftError && e.code === StatusCode.NOT_FOUND && e.reason === "MODEL_NOT_FOUND",
  );
  assert.equal(calls, 1);
});

test("watch yields events, re-opens a stream broken by UNAVAILABLE, and wait returns the final job", async () => {
  let opened = 0;
  const models: Array<string | null> = [];
  const graft = clientOf((r) => {
    r.service(TrainingService, {
      async *watchJob(req, ctx) {
        opened++;
        models.push(ctx.requestHeader.get("x-graft-model"));
        assert.equal(req.id, "j1");
        // Each stream sends the history from its beginning: epoch 1 with the first event.
        yield { job: job(JobState.RUNNING, 1n), message: "running", metrics: [{ name: "loss", value: 0.5, epoch: 1 }] };
        if (opened === 1) {
          throw new ConnectError("connection reset", Code.Unavailable);
        }
        yield { job: job(JobState.SUCCEEDED, 2n), message: "done", metrics: [{ name: "loss", value: 0.4, epoch: 2 }] };
      },
    });
  });
  const states: string[] = [];
  const steps: number[] = [];
  const epochs: number[] = [];
  for await (const e of graft.watch({ id: "j1", outputModel: "out" })) {
    states.push(e.job.state);
    steps.push(e.job.progress?.step ?? -1);
    epochs.push(...e.metrics.map((m) => m.epoch));
  }
  assert.deepEqual(states, ["RUNNING", "RUNNING", "SUCCEEDED"]);
  assert.deepEqual(steps, [1, 1, 2]);
  assert.deepEqual(epochs, [1, 2], "each history entry once, though the reopened stream sent epoch 1 again");
  assert.deepEqual(models, ["out", "out"]);
  const messages: string[] = [];
  const final = await graft.wait("j1", { model: "out", onEvent: (e) => messages.push(e.message) });
  assert.equal(final.state, "SUCCEEDED");
  assert.deepEqual(messages, ["running", "done"]);
  assert.deepEqual(final.history.map((m) => [m.epoch, m.value]), [[1, 0.5], [2, 0.4]], "wait returns the whole history");
});

test("cancel of a Job sets x-graft-model to its output model", async () => {
  let model: string | null = null;
  const graft = clientOf((r) => {
    r.service(TrainingService, {
      cancelJob(req, ctx) {
        model = ctx.requestHeader.get("x-graft-model");
        return create(JobSchema, { id: req.id, state: JobState.CANCELLED });
      },
    });
  });
  const j = await graft.cancel({ id: "j1", outputModel: "out" });
  assert.equal(j.state, "CANCELLED");
  assert.equal(model, "out");
});

test("uploadDataset sends the spec first, then chunks; examples go as EXAMPLES", async () => {
  const received: UploadDatasetRequest[][] = [];
  const graft = new GraftClient({
    target: "unused:0",
    chunkBytes: 4,
    transport: createRouterTransport((r) => {
      r.service(DatasetService, {
        async uploadDataset(stream) {
          const msgs: UploadDatasetRequest[] = [];
          for await (const m of stream) {
            msgs.push(m);
          }
          received.push(msgs);
          return { id: "d1", examples: 2n };
        },
      });
    }),
  });
  await graft.uploadDataset({ name: "n", domain: "nlp", format: "JSONL" }, { data: "0123456789" });
  const [spec, ...chunks] = received[0] ?? [];
  assert.equal(spec?.value.case, "spec");
  assert.equal(spec?.value.case === "spec" ? spec.value.value.format : -1, DatasetFormat.JSONL);
  assert.deepEqual(
    chunks.map((c) => (c.value.case === "chunk" ? new TextDecoder().decode(c.value.value.data) : "?")),
    ["0123", "4567", "89"],
  );

  await graft.uploadDataset({ name: "e", domain: "nlp" }, {
    examples: [
      { input: "I loved it", label: "positive" },
      { input: "I hated it", label: "negative" },
    ],
  });
  const [spec2, ...chunks2] = received[1] ?? [];
  assert.equal(spec2?.value.case === "spec" ? spec2.value.value.format : -1, DatasetFormat.EXAMPLES);
  const bytes = chunks2.flatMap((c) => (c.value.case === "chunk" ? Array.from(c.value.value.data) : []));
  const examples = [];
  for await (const e of sizeDelimitedDecodeStream(ExampleSchema, (async function* () { yield new Uint8Array(bytes); })())) {
    examples.push(e);
  }
  assert.deepEqual(
    examples.map((e) => [e.input?.value.value && "text" in e.input.value.value ? e.input.value.value.text : "", e.target?.kind.value]),
    [
      ["I loved it", "positive"],
      ["I hated it", "negative"],
    ],
  );
});

test("importModel sends the spec first, then each part in chunks, routed by the model name", async () => {
  const received: ImportModelRequest[] = [];
  let routed: string | null = null;
  const graft = new GraftClient({
    target: "unused:0",
    chunkBytes: 4,
    transport: createRouterTransport((r) => {
      r.service(ModelService, {
        async importModel(stream, ctx) {
          routed = ctx.requestHeader.get("x-graft-model");
          for await (const m of stream) {
            received.push(m);
          }
          return { name: "mine", dimension: 16 };
        },
      });
    }),
  });
  const model = await graft.importModel(
    { name: "mine", domain: "vision", format: "torchscript", properties: { input_size: "96" } },
    { parts: [{ name: "", data: new TextEncoder().encode("abcdef") }, { name: "tokenizer.json", data: new TextEncoder().encode("{}") }] },
  );
  assert.equal(model.dimension, 16);
  assert.equal(routed, "mine");
  const [spec, ...chunks] = received;
  assert.equal(spec?.value.case === "spec" ? spec.value.value.format : "", "torchscript");
  assert.deepEqual(spec?.value.case === "spec" ? spec.value.value.properties : {}, { input_size: "96" });
  assert.deepEqual(
    chunks.map((c) => (c.value.case === "chunk" ? [c.value.value.part, new TextDecoder().decode(c.value.value.data)] : [])),
    [["", "abcd"], ["", "ef"], ["tokenizer.json", "{}"]],
  );
});

test("list calls follow next_page_token", async () => {
  const tokens: string[] = [];
  const graft = clientOf((r) => {
    r.service(ModelService, {
      listModels(req) {
        tokens.push(req.pageToken);
        return req.pageToken === ""
          ? { models: [{ name: "a" }], nextPageToken: "p2" }
          : { models: [{ name: "b" }], nextPageToken: "" };
      },
    });
  });
  const models = await graft.listModels({ filter: "kind=BASE" });
  assert.deepEqual(models.map((m) => m.name), ["a", "b"]);
  assert.deepEqual(tokens, ["", "p2"]);
});
