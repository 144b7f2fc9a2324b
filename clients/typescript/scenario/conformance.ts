// The client conformance scenario (clients/conformance/SCENARIO.md) through GraftClient.
// Run by ../conformance with GRAFT_TARGET=host:port (and GRAFT_TLS_CA, GRAFT_TLS_CERT,
// GRAFT_TLS_KEY, GRAFT_TOKEN for TLS, a client certificate and a bearer token); prints `ok <step>` / `FAIL <step>: why`
// and `N passed, M failed`; exits 1 when a step failed.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GraftClient, GraftError, StatusCode, statusCodeName, type Dataset, type Job, type JobEvent } from "../src/index.js";

const LANG = "typescript";
const NAME = `conformance-${LANG}`;
const DATASET_FILE = fileURLToPath(new URL("../../../conformance/dataset.jsonl", import.meta.url));
const INPUTS = ["what a wonderful, lovely day", "this is terrible and awful"];
const TRAIN_TIMEOUT_MS = 10 * 60_000;

class StepFailure extends Error {}

function check(condition: boolean, why: string): asserts condition {
  if (!condition) {
    throw new StepFailure(why);
  }
}

function describe(e: unknown): string {
  if (e instanceof StepFailure) {
    return e.message;
  }
  if (e instanceof GraftError) {
    return `${e.codeName} (reason ${e.reason || "none"}): ${e.rawMessage}`;
  }
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const target = process.env.GRAFT_TARGET;
if (!target) {
  console.error("GRAFT_TARGET (host:port) is not set");
  process.exit(2);
}
// Over TLS when GRAFT_TLS_CA names a CA file (mutual TLS with GRAFT_TLS_CERT + GRAFT_TLS_KEY);
// GRAFT_TOKEN is sent as the bearer token.
const pem = (variable: string): Buffer | undefined => {
  const file = process.env[variable];
  return file ? readFileSync(file) : undefined;
};
const [ca, cert, key] = [pem("GRAFT_TLS_CA"), pem("GRAFT_TLS_CERT"), pem("GRAFT_TLS_KEY")];
const graft = new GraftClient({
  target,
  timeoutMs: 120_000,
  ...(ca || cert || key ? { tls: { ca, cert, key } } : {}),
  ...(process.env.GRAFT_TOKEN ? { token: process.env.GRAFT_TOKEN } : {}),
});
let passed = 0;
let failed = 0;

async function step<T>(name: string, body: () => Promise<T>): Promise<T | undefined> {
  try {
    const result = await body();
    passed++;
    console.log(`ok ${name}`);
    return result;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${describe(e)}`);
    return undefined;
  }
}

function skip(name: string, because: string): void {
  failed++;
  console.log(`FAIL ${name}: skipped, ${because} failed`);
}

async function expectError(call: () => Promise<unknown>, code: number, reason: string): Promise<void> {
  try {
    await call();
  } catch (e) {
    check(e instanceof GraftError, `expected a GraftError, got ${describe(e)}`);
    check(e.code === code, `code ${e.codeName}, expected ${statusCodeName(code)} (${e.rawMessage})`);
    check(e.reason === reason, `reason "${e.reason}", expected "${reason}"`);
    return;
  }
  throw new StepFailure(`succeeded, expected ${statusCodeName(code)}`);
}

try {
  const dataset = await step("upload", async (): Promise<Dataset> => {
    const ds = await graft.uploadDataset({ name: NAME, domain: "nlp", format: "JSONL" }, { file: DATASET_FILE });
    check(ds.examples === 16, `examples ${ds.examples}, expected 16`);
    check(JSON.stringify(ds.labels) === '["negative","positive"]', `labels ${JSON.stringify(ds.labels)}`);
    const counts = ds.labelCounts;
    check(
      Object.keys(counts).length === 2 && counts.negative === 8 && counts.positive === 8,
      `label_counts ${JSON.stringify(counts)}`,
    );
    check(/^[0-9a-f]{64}$/i.test(ds.sha256), `sha256 "${ds.sha256}" is not 64 hex characters`);
    return ds;
  });

  let job: Job | undefined;
  if (dataset) {
    job = await step("train", async (): Promise<Job> => {
      const j = await graft.train({
        baseModel: "minilm-l6",
        strategy: "feature-extraction",
        outputModel: NAME,
        train: dataset.id,
        validationSplit: 0.25,
        hyperparameters: { epochs: 30, seed: 7 },
      });
      check(j.id !== "", "the job has no id");
      check(j.state === "QUEUED" || j.state === "RUNNING", `state ${j.state}`);
      return j;
    });
  } else {
    skip("train", "upload");
  }

  let trained = false;
  if (job) {
    const theJob = job;
    trained =
      (await step("watch", async (): Promise<boolean> => {
        const events: JobEvent[] = [];
        for await (const event of graft.watch(theJob, { timeoutMs: TRAIN_TIMEOUT_MS })) {
          events.push(event);
        }
        check(events.length > 0, "no events");
        check(events[0]?.job.id === theJob.id, `first event is for job "${events[0]?.job.id}", expected ${theJob.id}`);
        check(
          events.some((e) => (e.job.progress?.step ?? 0) > 0),
          "no event has progress.step > 0",
        );
        const last = events[events.length - 1]?.job;
        check(
          last?.state === "SUCCEEDED",
          `last state ${last?.state ?? "none"}${last?.error ? `: ${last.error.message}` : ""}`,
        );
        check(
          last.metrics.some((m) => m.name === "accuracy" && m.split === "validation"),
          `no validation accuracy in ${JSON.stringify(last.metrics.map((m) => `${m.split}/${m.name}`))}`,
        );
        return true;
      })) ?? false;
  } else {
    skip("watch", "train");
  }

  if (trained) {
    await step("predict", async () => {
      const r = await graft.predict(NAME, INPUTS, { topK: 2 });
      check(r.predictions.length === 2, `${r.predictions.length} predictions, expected 2`);
      for (const [i, p] of r.predictions.entries()) {
        check(p.classes.length === 2, `prediction ${i} has ${p.classes.length} classes, expected 2`);
        const [a, b] = p.classes;
        check(a !== undefined && b !== undefined && a.score >= b.score, `prediction ${i} is not sorted by score`);
        const sum = a.score + b.score;
        check(Math.abs(sum - 1) <= 1e-4, `prediction ${i} scores sum to ${sum}`);
      }
      check(r.predictions[0]?.classes[0]?.label === "positive", `first top label "${r.predictions[0]?.classes[0]?.label}"`);
      check(r.predictions[1]?.classes[0]?.label === "negative", `second top label "${r.predictions[1]?.classes[0]?.label}"`);
      const m = /^(.+)@(\d+)$/.exec(r.model);
      check(m !== null && m[1] === NAME && Number(m[2]) >= 1, `model "${r.model}", expected ${NAME}@1 or later`);
    });
  } else {
    skip("predict", "watch");
  }

  await step("extract", async () => {
    const r = await graft.extract("minilm-l6", INPUTS, { normalize: true });
    check(r.vectors.length === 2, `${r.vectors.length} vectors, expected 2`);
    for (const [i, v] of r.vectors.entries()) {
      check(v instanceof Float32Array, `vector ${i} is not a Float32Array`);
      check(v.length === 384, `vector ${i} has length ${v.length}, expected 384`);
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      check(Math.abs(norm - 1) <= 1e-3, `vector ${i} has L2 norm ${norm}`);
    }
  });

  await step("not-found", () =>
    expectError(() => graft.getModel(`no-such-model-${LANG}`), StatusCode.NOT_FOUND, "MODEL_NOT_FOUND"),
  );

  await step("invalid-argument", () =>
    expectError(() => graft.extract("minilm-l6", []), StatusCode.INVALID_ARGUMENT, "EMPTY_INPUTS"),
  );

  if (dataset) {
    await step("cancel", async () => {
      const j = await graft.train({
        baseModel: "minilm-l6",
        strategy: "feature-extraction",
        outputModel: `${NAME}-cancel`,
        train: dataset.id,
        hyperparameters: { epochs: 100_000, earlyStoppingPatience: 100_000, batchSize: 1 },
      });
      let cancelledAt = 0;
      let last: Job | undefined;
      const stop = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      try {
        for await (const event of graft.watch(j, { timeoutMs: TRAIN_TIMEOUT_MS, signal: stop.signal })) {
          last = event.job;
          if (cancelledAt === 0 && (last.state === "RUNNING" || (last.progress?.step ?? 0) > 0)) {
            await graft.cancel(j);
            cancelledAt = Date.now();
            timer = setTimeout(() => stop.abort(), 10_000);
          }
        }
      } catch (e) {
        check(stop.signal.aborted, describe(e));
      } finally {
        clearTimeout(timer);
      }
      check(cancelledAt > 0, `the job never ran (ended ${last?.state ?? "without events"})`);
      const elapsed = Date.now() - cancelledAt;
      check(last?.state === "CANCELLED", `state ${last?.state ?? "none"} ${elapsed} ms after the cancel`);
      check(elapsed <= 10_000, `ended CANCELLED ${elapsed} ms after the cancel, more than 10 s`);
    });
  } else {
    skip("cancel", "upload");
  }
} finally {
  graft.close();
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
