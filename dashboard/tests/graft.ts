// Test helpers: Graft's JSON API from Node (to set up data), axe-core checks and screenshots.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { expect, type Page } from "@playwright/test";

export const OPEN_URL = required("GRAFT_URL");
export const AUTH_URL = required("GRAFT_AUTH_URL");
export const READER_TOKEN = required("GRAFT_READER_TOKEN");
export const TRAINER_TOKEN = required("GRAFT_TRAINER_TOKEN");
export const SEEDED_URL = required("GRAFT_SEEDED_URL");
export const TLS_URL = required("GRAFT_TLS_URL");
export const DATASET = new URL("../../clients/conformance/dataset.jsonl", import.meta.url);
export const CO2 = new URL("../../assets/vega-datasets/co2-concentration.csv", import.meta.url);
export const IMAGE = new URL("../../plugins/domain-vision/src/test/resources/dev/graft/plugins/vision/image/ImageDecoderFuzzTestInputs/decode/palette.png", import.meta.url);
export const SHOTS = "target/screenshots";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser test with dashboard/test`);
  return v;
}

export async function api<T>(base: string, method: string, body: object, tok?: string): Promise<T> {
  const res = await fetch(`${base}/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(tok ? { Authorization: `Bearer ${tok}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function upload(base: string, name: string, tok?: string,
  spec: object = { name, domain: "nlp", format: "DATASET_FORMAT_JSONL" }, file: URL = DATASET): Promise<{ id: string; examples: string }> {
  const res = await fetch(`${base}/graft.v1.DatasetService/UploadDataset`, {
    method: "POST",
    headers: {
      "Content-Type": "application/octet-stream",
      "Graft-Spec": JSON.stringify(spec),
      ...(tok ? { Authorization: `Bearer ${tok}` } : {}),
    },
    body: readFileSync(file),
  });
  if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; examples: string };
}

export async function train(base: string, dataset: string, output: string, epochs: number, tok?: string,
  strategy = "feature-extraction"): Promise<{ id: string }> {
  return api(base, "graft.v1.TrainingService/Train", {
    baseModel: "minilm-l6",
    strategy,
    outputModel: output,
    train: { dataset },
    validationSplit: 0.25,
    hyperparameters: { epochs, seed: 3, earlyStoppingPatience: 10000 },
  }, tok);
}

/** The CO2 series (monthly, 1958-) as a forecasting dataset: 12 months ahead from 48. */
export async function uploadCo2(base: string, name: string): Promise<{ id: string; examples: string }> {
  return upload(base, name, undefined, {
    name, domain: "timeseries", format: "DATASET_FORMAT_CSV",
    options: { layout: "long", timestamp_column: "Date", value_columns: "CO2", horizon: "12", context_length: "48" },
  }, CO2);
}

/** The CO2 column of the CSV, oldest first. */
export function co2Values(): number[] {
  return readFileSync(CO2, "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
}

/** Polls GetJob until the job ends; returns it. */
export async function finished<T extends { state: string }>(base: string, id: string, timeoutMs = 240_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await api<T>(base, "graft.v1.TrainingService/GetJob", { id });
    if (!["JOB_STATE_QUEUED", "JOB_STATE_RUNNING"].includes(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A stored model's files as ExportModel streams them: the chunks after the Model message. */
export async function exportChunks(base: string, from: string): Promise<Array<{ part?: string; data: string }>> {
  const exported = await fetch(`${base}/graft.v1.ModelService/ExportModel`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: from }),
  });
  if (!exported.ok) throw new Error(`ExportModel: ${exported.status} ${await exported.text()}`);
  return (await exported.text()).trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.chunk).map((m) => m.chunk);
}

/** ImportModel of a graft-ts model made of ts-encoder's exported chunks. */
export async function importChunks(base: string, chunks: Array<{ part?: string; data: string }>, name: string): Promise<void> {
  // The weights twice: as the main file (model.graft-ts, which an import must have) and as
  // encoder.params, which the timeseries domain opens. The exported manifest.json stays out.
  const weights = chunks.filter((c) => c.part === "encoder.params");
  if (!weights.length) throw new Error(`the export has no encoder.params: ${chunks.map((c) => c.part).join(", ")}`);
  const lines = [{ spec: { name, domain: "timeseries", format: "graft-ts" } },
    ...weights.map((c) => ({ chunk: { part: "", data: c.data } })), ...weights.map((c) => ({ chunk: c }))];
  const res = await fetch(`${base}/graft.v1.ModelService/ImportModel`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: lines.map((l) => JSON.stringify(l)).join("\n"),
  });
  if (!res.ok) throw new Error(`ImportModel: ${res.status} ${await res.text()}`);
}

/** A copy of ts-encoder (or another graft-ts model) under another name, through ExportModel and ImportModel (NDJSON both ways). */
export async function copyModel(base: string, from: string, name: string): Promise<void> {
  await importChunks(base, await exportChunks(base, from), name);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core: every input, select and textarea has a label; buttons and links have names; text contrast (WCAG AA). */
export async function accessible(page: Page, what: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's Content-Security-Policy (scripts from the
  // server only) stays on, as users get it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: Function } }).axe.run(document, {
      runOnly: ["label", "select-name", "button-name", "input-button-name", "link-name", "aria-progressbar-name",
        "document-title", "html-has-lang", "duplicate-id-aria", "aria-valid-attr-value", "color-contrast",
        "image-alt", "th-has-data-cells", "td-headers-attr"],
    });
    type Result = { id: string; nodes: { html: string }[] };
    return {
      violations: r.violations.map((v: Result) => `${v.id}: ${v.nodes.map((n) => n.html).join(" | ")}`),
      // What axe could not decide (text over a partly filled bar, say), for the log.
      undecided: r.incomplete.filter((v: Result) => v.id === "color-contrast").flatMap((v: Result) => v.nodes.map((n) => n.html.slice(0, 120))),
    };
  });
  if (violations.undecided.length) console.log(`axe: contrast undecided on ${what}: ${violations.undecided.join(" | ")}`);
  expect(violations.violations, `accessibility of ${what}`).toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
