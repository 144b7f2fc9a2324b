// The dashboard in a real browser against real servers (started by dashboard/test): a job trains
// while its loss curve grows, its model's lineage, datasets, devices, Try it, pagination, errors,
// phone width, accessibility; and with authentication on: the token prompt and role-aware UI.
import { expect, test, type Page } from "@playwright/test";
import { AUTH_URL, IMAGE, OPEN_URL, READER_TOKEN, TRAINER_TOKEN, accessible, api, co2Values, copyModel, finished, shot, train, upload, uploadCo2 } from "./graft";
import { readFileSync } from "node:fs";

test.describe.configure({ mode: "serial" });

const EPOCHS = 300; // ~15 s of training on a CPU: long enough to watch the curve grow
let dataset = "";
let jobId = "";
let model = "";

test.beforeAll(async () => {
  const ds = await upload(OPEN_URL, "dash-reviews");
  expect(ds.examples).toBe("16");
  dataset = ds.id;
  jobId = (await train(OPEN_URL, dataset, "dash-reviews-clf", EPOCHS)).id;
});

/** The loss chart's plotted epochs and the job's state, read together. */
async function lossAndState(page: Page): Promise<{ points: number; state: string }> {
  return page.evaluate(() => ({
    points: Number(document.querySelector<HTMLElement>('figure[data-metric="loss"]')?.dataset.points ?? 0),
    state: document.querySelector("#job-state")?.textContent ?? "",
  }));
}

test("a training job: listed, progress with ETA, live train/validation curves, then its model", async ({ page }) => {
  await page.goto(`${OPEN_URL}/`);
  const link = page.getByRole("link", { name: jobId });
  await expect(link).toBeVisible();
  await expect(page.getByText("authentication off")).toBeVisible();
  await shot(page, "jobs");
  await accessible(page, "the jobs list");
  await link.click();
  await expect(page).toHaveURL(new RegExp(`#/jobs/${jobId}$`));

  await expect(page.locator("#job-state")).toHaveText("running", { timeout: 60_000 });
  await expect(page.locator('figure[data-metric="loss"]')).toBeVisible();
  const first = await lossAndState(page);
  expect(first.points).toBeGreaterThanOrEqual(1);
  let later = first;
  await expect.poll(async () => (later = await lossAndState(page)).points, { timeout: 30_000, intervals: [100] })
    .toBeGreaterThanOrEqual(first.points + 3);
  expect(later.state, "the curve grew while the job was running").toBe("running");
  await expect(page.locator('figure[data-metric="loss"]')).toHaveAttribute("aria-label", /train .*validation /);
  await expect(page.getByRole("progressbar", { name: `progress of ${jobId}` })).toBeVisible();
  await expect(page.getByText(/ETA \d/).first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel job" })).toBeVisible(); // anonymous admin
  // hidden=auto (the default) trains a linear head, then an MLP head: two phases.
  await expect(page.locator("#job-phase")).toHaveText(/^phase [12]\/2: (linear|mlp) .*head$/);
  await shot(page, "job-running");
  await accessible(page, "a running job");

  await expect(page.locator("#job-state")).toHaveText("succeeded", { timeout: 120_000 });
  await expect(page.getByRole("button", { name: "Cancel job" })).toHaveCount(0);
  const points = (await lossAndState(page)).points;
  expect(points).toBeGreaterThan(later.points);
  // Each phase numbers its epochs from 1; the chart lays them one after the other.
  expect(points).toBe(2 * EPOCHS);
  await expect(page.locator("p.phases")).toHaveText(
    new RegExp(`^Phases: linear .*head \\(epochs 1–${EPOCHS} on the axis\\), mlp .*head \\(epochs ${EPOCHS + 1}–${2 * EPOCHS} on the axis\\)$`));
  await expect(page.getByRole("region", { name: "Final metrics" })).toContainText("accuracy");
  const job = await api<{ resultModel: string }>(OPEN_URL, "graft.v1.TrainingService/GetJob", { id: jobId });
  model = job.resultModel;
  await shot(page, "job-succeeded");
  await page.getByRole("link", { name: model }).click();

  const lineage = page.getByRole("list", { name: `Lineage of ${model}` });
  await expect(lineage).toBeVisible();
  await expect(lineage).toContainText("minilm-l6@1");
  await expect(lineage).toContainText("feature-extraction");
  await expect(lineage).toContainText(dataset);
  await expect(lineage).toContainText(`epochs = ${EPOCHS}`);
  await expect(lineage).toContainText(/validation loss \d/);
  await shot(page, "model-lineage");
  await accessible(page, "a model");

  // The validation confusion matrix the job stored, drawn as GetModel returns it.
  const stored = await api<{ confusionMatrix: { labels: string[]; counts: string[]; split: string }; metrics: Array<{ name: string; value?: number; split?: string; epoch?: number }> }>(
    OPEN_URL, "graft.v1.ModelService/GetModel", { name: model });
  const cm = stored.confusionMatrix;
  expect(cm.labels).toEqual(["negative", "positive"]);
  const total = cm.counts.map(Number).reduce((a, b) => a + b, 0);
  expect(total, "4 of 16 examples validate (validation split 0.25)").toBe(4);
  const matrix = page.getByRole("table", { name: /Confusion matrix \(validation split, 4 examples/ });
  await expect(matrix).toBeVisible();
  await expect(matrix.getByRole("rowheader")).toHaveText(["negative", "positive"]);
  const cells = (await matrix.locator("tbody td:not(.row-total)").allTextContents()).map(Number);
  expect(cells).toEqual(cm.counts.map(Number));
  const accuracy = stored.metrics.find((m) => m.name === "accuracy" && m.split === "validation" && !m.epoch)?.value ?? 0;
  expect((cells[0] + cells[3]) / total).toBeCloseTo(accuracy, 9);
  await shot(page, "model-confusion");
});

test("a forecasting model: MASE beside the naive, seasonal-naive and drift baselines; Try it with a pasted series", async ({ page }) => {
  const ds = await uploadCo2(OPEN_URL, "co2");
  const job = await api<{ id: string }>(OPEN_URL, "graft.v1.TrainingService/Train", {
    baseModel: "ts-encoder", strategy: "feature-extraction", outputModel: "co2-forecast", train: { dataset: ds.id },
    validationSplit: 0.25, hyperparameters: { epochs: 40, seed: 3 },
  });
  const done = await finished<{ state: string; resultModel: string }>(OPEN_URL, job.id);
  expect(done.state).toBe("JOB_STATE_SUCCEEDED");
  const m = await api<{ metrics: Array<{ name: string; value?: number; epoch?: number }> }>(OPEN_URL, "graft.v1.ModelService/GetModel", { name: done.resultModel });
  const final = (name: string) => m.metrics.find((x) => x.name === name && !x.epoch)?.value ?? NaN;
  await page.goto(`${OPEN_URL}/#/models/${done.resultModel}`);
  const forecast = page.getByRole("region", { name: "Forecast against baselines" });
  await expect(forecast).toBeVisible();
  const rows = forecast.locator("tbody tr");
  await expect(rows).toHaveCount(4);
  await expect(rows.locator("td:first-child")).toHaveText(["this model", "naive (last value)", "seasonal naive", "drift"]);
  const shown = (await rows.locator("td:nth-child(2)").allTextContents()).map(Number);
  const expected = ["mase", "baseline.naive.mase", "baseline.seasonal_naive.mase", "baseline.drift.mase"].map(final);
  shown.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 3));
  const best = Math.min(...expected.slice(1));
  await expect(page.locator("#forecast-verdict")).toHaveText(expected[0] < best ? /beats every baseline/ : /does not beat/);
  await expect(forecast.getByRole("img", { name: /^MASE \(lower is better\): this model / })).toBeVisible();
  await expect(page.locator("#confusion")).toHaveCount(0); // a forecaster has no confusion matrix
  await shot(page, "model-forecast");
  await accessible(page, "a forecasting model");

  await page.goto(`${OPEN_URL}/#/try/${done.resultModel}`);
  await expect(page.getByLabel("Model", { exact: true })).toHaveValue(done.resultModel);
  const last48 = co2Values().slice(-48);
  await page.getByLabel(/^Series values/).fill(last48.join(", "));
  await page.getByRole("button", { name: "Run" }).click();
  const values = page.locator("#result .value");
  await expect(values).toHaveCount(12);
  const forecastValues = (await values.allTextContents()).map(Number);
  for (const v of forecastValues) expect(v, "a CO2 level in ppm, near the last ones").toBeGreaterThan(Math.min(...last48) - 15);
  for (const v of forecastValues) expect(v).toBeLessThan(Math.max(...last48) + 15);
  await shot(page, "try-series");
  await accessible(page, "Try it with a series");
  await page.getByLabel(/^Series values/).fill("1, 2, x");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.getByRole("alert")).toContainText("value 3 ('x') is not a finite number");
});

test("Try it with an image: dropped on the zone or picked, Extract's vector", async ({ page }) => {
  const bytes = readFileSync(IMAGE);
  const viaApi = await api<{ dimension: number; features: Array<{ values: number[] }> }>(OPEN_URL, "graft.v1.InferenceService/Extract",
    { model: "mobilenet-v2@1", inputs: [{ image: { encoded: bytes.toString("base64") } }] });
  await page.goto(`${OPEN_URL}/#/try/mobilenet-v2@1`);
  await expect(page.getByLabel("Model", { exact: true })).toHaveValue("mobilenet-v2@1");
  await expect(page.getByLabel("Extract features")).toBeChecked();
  // Dropped: a real drop event whose DataTransfer holds the file.
  const transfer = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], "palette.png", { type: "image/png" }));
    return dt;
  }, [...bytes]);
  await page.locator("#try-drop").dispatchEvent("drop", { dataTransfer: transfer });
  await expect(page.locator("#try-image-name")).toContainText(`palette.png (${bytes.length} bytes)`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#dimension")).toHaveText(String(viaApi.dimension));
  const norm = Math.sqrt(viaApi.features[0].values.reduce((a, x) => a + x * x, 0));
  expect(Number(await page.locator("#norm").textContent())).toBeCloseTo(norm, 3);
  await shot(page, "try-image");
  await accessible(page, "Try it with an image");
  // Picked with the file input: the same vector.
  await page.reload();
  await page.getByLabel(/^Image/).setInputFiles(IMAGE.pathname);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#dimension")).toHaveText(String(viaApi.dimension));
  expect(Number(await page.locator("#norm").textContent())).toBeCloseTo(norm, 3);
});

test("a job that fails while it runs shows its reason and field", async ({ page }) => {
  // Train into "clash"; while it trains, "clash" becomes a base model (a copy of ts-encoder), so
  // publishing the trained model fails: INVALID_ARGUMENT NAME_TAKEN_BY_BASE on output_model.
  const job = await train(OPEN_URL, dataset, "clash", 400);
  await copyModel(OPEN_URL, "ts-encoder", "clash");
  await page.goto(`${OPEN_URL}/#/jobs/${job.id}`);
  await expect(page.locator("#job-state")).toHaveText("failed", { timeout: 120_000 });
  const alert = page.getByRole("alert");
  await expect(alert.locator(".reason")).toHaveText(" NAME_TAKEN_BY_BASE");
  await expect(alert.locator(".field")).toHaveText(" (field output_model)");
  await expect(alert).toContainText("output_model 'clash' is a base model");
  await expect(page.getByRole("button", { name: "Cancel job" })).toHaveCount(0);
  await shot(page, "job-failed");
  await accessible(page, "a failed job");
});

test("the accessibility check fails on faint text (a check of the check)", async ({ page }) => {
  await page.setContent('<!doctype html><html lang="en"><head><title>faint</title></head><body><p style="color:#aaaaaa;background:#ffffff">faint</p></body></html>');
  await expect(accessible(page, "a faint page")).rejects.toThrow(/color-contrast/);
});

test("models paginate; a missing model shows the server's error", async ({ page }) => {
  const all = await api<{ models: unknown[] }>(OPEN_URL, "graft.v1.ModelService/ListModels", { pageSize: 100 });
  expect(all.models.length, "enough models for two pages of 5").toBeGreaterThan(5);
  await page.goto(`${OPEN_URL}/#/models`);
  await expect(page.getByText("Page 1")).toBeVisible();
  await page.getByLabel("Per page").selectOption("5");
  const rows = page.locator("section.list tbody tr");
  await expect(rows).toHaveCount(5);
  const page1 = await rows.allTextContents();
  await page.getByRole("button", { name: "Next page" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  const page2 = await rows.allTextContents();
  expect(page2.length).toBeGreaterThan(0);
  expect(page2.filter((r) => page1.includes(r))).toEqual([]);
  await page.getByLabel("Kind").selectOption("kind=TRAINED");
  await expect(page.getByRole("link", { name: model })).toBeVisible();
  await shot(page, "models");
  await accessible(page, "the models list");

  await page.goto(`${OPEN_URL}/#/models/no-such-model`);
  await expect(page.getByRole("alert")).toContainText("MODEL_NOT_FOUND");
  await expect(page.getByRole("alert")).toContainText("model 'no-such-model' not found");
});

test("datasets: format, size and label counts", async ({ page }) => {
  await page.goto(`${OPEN_URL}/#/datasets`);
  await page.getByRole("link", { name: dataset }).click();
  await expect(page.locator("#dataset-examples")).toHaveText("16");
  await expect(page.getByText("jsonl")).toBeVisible();
  await expect(page.getByRole("img", { name: "Examples per label: negative 8, positive 8" })).toBeVisible();
  await expect(page.locator("figure.bars canvas")).toHaveCount(1);
  await shot(page, "dataset");
  await accessible(page, "a dataset");
});

test("devices: pools, slots, queue, loaded models", async ({ page }) => {
  await page.goto(`${OPEN_URL}/#/devices`);
  const pool = page.getByRole("region", { name: "Pool default" });
  await expect(pool).toContainText("Queue: 0 of");
  await expect(pool.locator("td").first()).toHaveText("cpu");
  await expect(pool).toContainText(/0 \/ \d+/);
  const loaded = page.getByRole("region", { name: "Loaded models" });
  await expect(loaded).toContainText("minilm-l6@1");
  await expect(loaded).toContainText(/MiB/);
  await shot(page, "devices");
  await accessible(page, "devices");
});

test("Try it: Predict's top-k, Extract's vector", async ({ page }) => {
  await page.goto(`${OPEN_URL}/#/try/${model}`);
  await expect(page.getByLabel("Model", { exact: true })).toHaveValue(model);
  await page.getByLabel("Text", { exact: true }).fill("I loved every minute");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#result .label").first()).toHaveText("positive");
  await page.getByLabel("Text", { exact: true }).fill("I hated it all");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#result .label").first()).toHaveText("negative");
  await shot(page, "try-predict");
  await accessible(page, "Try it");

  await page.getByLabel("Model", { exact: true }).selectOption("minilm-l6@1");
  await expect(page.getByLabel("Extract features")).toBeChecked();
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#result")).toContainText("384");
  const norm = Number(await page.locator("#norm").textContent());
  expect(norm).toBeGreaterThan(0);
  await shot(page, "try-extract");
});

test("phone width: no sideways scrolling", async ({ browser }) => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const pages: Array<[string, string, string]> = [
    ["jobs", "#/jobs", "section.list tbody tr"],
    ["job", `#/jobs/${jobId}`, 'figure[data-metric="loss"] canvas'],
    ["model", `#/models/${model}`, "ol.lineage"],
    ["dataset", `#/datasets/${dataset}`, "figure.bars canvas"],
    ["devices", "#/devices", "section.pool tbody tr"],
    ["try", "#/try", "#try-model option"],
  ];
  for (const [name, hash, content] of pages) {
    await phone.goto(`${OPEN_URL}/${hash}`);
    await expect(phone.locator(content).first()).toBeAttached();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} fits 390 px`).toBeLessThanOrEqual(1);
    await shot(phone, `phone-${name}`);
  }
  await phone.close();
});

test("with authentication: a token once, per tab; a reader cannot cancel, a trainer can", async ({ browser }) => {
  const ds = await upload(AUTH_URL, "auth-reviews", TRAINER_TOKEN);
  // Fine-tuning: slow epochs, so the job is still running when the trainer cancels it, with a short
  // history (a fast job of 100,000 epochs makes every WatchJob event carry thousands of epochs).
  const long = await train(AUTH_URL, ds.id, "auth-long", 1000, TRAINER_TOKEN, "fine-tuning");

  const reader = await browser.newPage();
  await reader.goto(`${AUTH_URL}/`);
  await expect(reader.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await accessible(reader, "sign-in");
  await reader.getByLabel("Access token").fill("not-a-token");
  await reader.getByRole("button", { name: "Sign in" }).click();
  await expect(reader.getByRole("alert")).toContainText("INVALID_TOKEN");
  await shot(reader, "signin-error");
  await reader.getByLabel("Access token").fill(READER_TOKEN);
  await reader.getByRole("button", { name: "Sign in" }).click();
  await expect(reader.getByText("rita · reader")).toBeVisible();
  expect(reader.url()).not.toContain(READER_TOKEN);
  expect(await reader.evaluate(() => sessionStorage.getItem("graft.token"))).toBe(READER_TOKEN);
  expect(await reader.evaluate(() => document.cookie)).toBe("");
  await reader.goto(`${AUTH_URL}/#/jobs/${long.id}`);
  await expect(reader.getByText("rita · reader")).toBeVisible(); // not asked again
  await expect(reader.locator("#job-state")).toHaveText(/queued|running/);
  await expect(reader.getByRole("heading", { name: "Curves" })).toBeVisible();
  await expect(reader.getByRole("button", { name: "Cancel job" })).toHaveCount(0);
  await shot(reader, "job-as-reader");

  const trainer = await browser.newPage(); // a new context: its own session storage
  await trainer.goto(`${AUTH_URL}/#/jobs/${long.id}`);
  await trainer.getByLabel("Access token").fill(TRAINER_TOKEN);
  await trainer.getByRole("button", { name: "Sign in" }).click();
  await expect(trainer.getByText("tom · trainer")).toBeVisible();
  await trainer.getByRole("button", { name: "Cancel job" }).click();
  await expect(trainer.locator("#job-state")).toHaveText("cancelled", { timeout: 30_000 });
  await expect(reader.locator("#job-state")).toHaveText("cancelled", { timeout: 30_000 }); // the reader's watch saw it
  await shot(trainer, "job-cancelled");
  await reader.close();
  await trainer.close();
});
