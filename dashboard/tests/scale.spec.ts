// At scale: a server whose store holds 100 jobs and 500 models, made through the API (100
// feature-extraction jobs, each with its model, and 400 imported copies of ts-encoder). Every
// page must load in under 1 s (Try it: be usable; the rest of its 500-model picker may arrive
// later, timed apart); the times are written to target/page-loads.json.
import { writeFileSync } from "node:fs";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { SEEDED_URL, api, exportChunks, importChunks, shot, train, upload } from "./graft";

test.describe.configure({ mode: "serial", timeout: 900_000 });

const JOBS = 100;
const MODELS = 500;
const LIMIT_MS = 1000;
const RUNS = 3;
let jobId = "";
let trained = "";

/** Runs `work` over `items` with `parallel` at a time. */
async function pool<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function until(id: string): Promise<{ state: string; resultModel?: string }> {
  for (;;) {
    const job = await api<{ state: string; resultModel?: string }>(SEEDED_URL, "graft.v1.TrainingService/GetJob", { id });
    if (!["JOB_STATE_QUEUED", "JOB_STATE_RUNNING"].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.beforeAll(async () => {
  const started = Date.now();
  const ds = await upload(SEEDED_URL, "scale-reviews");
  const existing = (await api<{ jobs?: Array<{ id: string; resultModel?: string }> }>(SEEDED_URL, "graft.v1.TrainingService/ListJobs", { pageSize: 100 })).jobs ?? [];
  if (existing.length) [jobId, trained] = [existing[existing.length - 1].id, existing[existing.length - 1].resultModel ?? ""];
  const ids = Array.from({ length: JOBS - existing.length }, (_, i) => i);
  await pool(ids, 4, async (i) => {
    const job = await train(SEEDED_URL, ds.id, `scale-${String(i).padStart(3, "0")}`, 2);
    const done = await until(job.id);
    expect(done.state, `job ${job.id}`).toBe("JOB_STATE_SUCCEEDED");
    if (i === 0) {
      jobId = job.id;
      trained = done.resultModel ?? "";
    }
  });
  const have = async () => {
    let n = 0;
    let pageToken = "";
    do {
      const r = await api<{ models?: unknown[]; nextPageToken?: string }>(SEEDED_URL, "graft.v1.ModelService/ListModels", { pageSize: 100, pageToken });
      n += r.models?.length ?? 0;
      pageToken = r.nextPageToken ?? "";
    } while (pageToken);
    return n;
  };
  const chunks = await exportChunks(SEEDED_URL, "ts-encoder");
  const missing = Array.from({ length: MODELS - (await have()) }, (_, i) => `copy-${String(i).padStart(3, "0")}`);
  await pool(missing, 4, (name) => importChunks(SEEDED_URL, chunks, name));
  expect(await have()).toBe(MODELS);
  const jobs = await api<{ jobs?: unknown[] }>(SEEDED_URL, "graft.v1.TrainingService/ListJobs", { pageSize: 100 });
  expect(jobs.jobs?.length).toBe(JOBS);
  console.log(`seeded ${JOBS} jobs and ${MODELS} models in ${Math.round((Date.now() - started) / 1000)} s`);
});

/** Milliseconds from navigating to `hash` (a full page load) until `ready` shows. */
async function load(page: Page, hash: string, ready: (p: Page) => Locator): Promise<number> {
  await page.goto("about:blank");
  const t0 = Date.now();
  await page.goto(`${SEEDED_URL}/${hash}`);
  const target = ready(page);
  if (hash.startsWith("#/try")) await expect(target).toBeAttached(); // an <option>
  else await expect(target).toBeVisible();
  const ms = Date.now() - t0;
  if (ms >= LIMIT_MS) {
    // Where the time went: the page's own requests (start and duration, ms from navigation).
    const timings = await page.evaluate(() => performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation"))
      .map((e) => `${e.name.split("/").pop()} @${Math.round(e.startTime)} +${Math.round(e.duration)}`));
    console.log(`slow ${hash} (${ms} ms): ${timings.join(", ")}`);
  }
  return ms;
}

test("every page loads in under 1 s with 100 jobs and 500 models", async ({ page }) => {
  const pages: Array<[string, string, (p: Page) => Locator]> = [
    ["jobs (20 per page)", "#/jobs", (p) => p.locator("section.list tbody tr").nth(19)],
    ["job (finished, with its curves)", `#/jobs/${jobId}`, (p) => p.locator('figure[data-metric="loss"] canvas')],
    ["models (20 per page)", "#/models", (p) => p.locator("section.list tbody tr").nth(19)],
    ["model (lineage, confusion matrix)", `#/models/${trained}`, (p) => p.locator("#confusion table")],
    ["datasets", "#/datasets", (p) => p.locator("section.list tbody tr").first()],
    ["devices", "#/devices", (p) => p.locator("section.pool tbody tr").first()],
    ["try it (usable: the first 100 models listed)", "#/try", (p) => p.locator("#try-model option:nth-child(100)")],
    ["try it for one model (#/try/<model>)", `#/try/${trained}`, (p) => p.locator(`#try-model option[value="${trained}"]:checked`)],
  ];
  /** Not held to the 1 s: the rest of the picker's list, which arrives while the page is in use. */
  const unlimited = "try it, until all 500 models are listed";
  pages.push([unlimited, "#/try", (p) => p.locator(`#try-model[data-complete="true"] option:nth-child(${MODELS})`)]);
  const results: Array<{ page: string; ms: number[] }> = [];
  for (const [name, hash, ready] of pages) {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ms.push(await load(page, hash, ready));
    }
    if (name === unlimited) await expect(page.locator("#try-model option")).toHaveCount(MODELS);
    results.push({ page: name, ms });
  }
  // A list at its largest page: 100 rows.
  for (const [name, hash] of [["jobs, 100 per page", "#/jobs"], ["models, 100 per page", "#/models"]]) {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(`${SEEDED_URL}/${hash}`);
      await expect(page.locator("section.list tbody tr").nth(19)).toBeVisible();
      const t0 = Date.now();
      await page.getByLabel("Per page").selectOption("100");
      await expect(page.locator("section.list tbody tr").nth(99)).toBeVisible();
      ms.push(Date.now() - t0);
    }
    results.push({ page: name, ms });
  }
  await shot(page, "scale-models-100");
  writeFileSync("target/page-loads.json", JSON.stringify({ jobs: JOBS, models: MODELS, runs: RUNS, results }, null, 2));
  for (const r of results) console.log(`${r.page}: ${r.ms.join(", ")} ms`);
  for (const r of results.filter((x) => x.page !== unlimited)) {
    expect(Math.max(...r.ms), `${r.page} loads in under ${LIMIT_MS} ms`).toBeLessThan(LIMIT_MS);
  }
});
