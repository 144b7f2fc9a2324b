// Test helpers: Graft's JSON API from Node (to set up data), axe-core checks and screenshots.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { expect, type Page } from "@playwright/test";

export const OPEN_URL = required("GRAFT_URL");
export const AUTH_URL = required("GRAFT_AUTH_URL");
export const READER_TOKEN = required("GRAFT_READER_TOKEN");
export const TRAINER_TOKEN = required("GRAFT_TRAINER_TOKEN");
export const DATASET = new URL("../../clients/conformance/dataset.jsonl", import.meta.url);
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

export async function upload(base: string, name: string, tok?: string): Promise<{ id: string; examples: string }> {
  const res = await fetch(`${base}/graft.v1.DatasetService/UploadDataset`, {
    method: "POST",
    headers: {
      "Content-Type": "application/octet-stream",
      "Graft-Spec": JSON.stringify({ name, domain: "nlp", format: "DATASET_FORMAT_JSONL" }),
      ...(tok ? { Authorization: `Bearer ${tok}` } : {}),
    },
    body: readFileSync(DATASET),
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

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core: every input, select and textarea has a label; buttons and links have names. */
export async function accessible(page: Page, what: string): Promise<void> {
  // Evaluated over the DevTools protocol: the page's Content-Security-Policy (scripts from the
  // server only) stays on, as users get it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: Function } }).axe.run(document, {
      runOnly: ["label", "select-name", "button-name", "input-button-name", "link-name", "aria-progressbar-name",
        "document-title", "html-has-lang", "duplicate-id-aria", "aria-valid-attr-value"],
    });
    return r.violations.map((v: { id: string; nodes: { html: string }[] }) => `${v.id}: ${v.nodes.map((n) => n.html).join(" | ")}`);
  });
  expect(violations, `accessibility of ${what}`).toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
