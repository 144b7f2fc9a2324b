// The dashboard in a real browser against real servers (started by dashboard/test): a job trains
// while its loss curve grows, its model's lineage, datasets, devices, Try it, pagination, errors,
// phone width, accessibility; and with authentication on: the token prompt and role-aware UI.
import { expect, test, type Page } from "@playwright/test";
import { AUTH_URL, OPEN_URL, READER_TOKEN, TRAINER_TOKEN, accessible, api, shot, train, upload } from "./graft";

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
  await shot(page, "job-running");
  await accessible(page, "a running job");

  await expect(page.locator("#job-state")).toHaveText("succeeded", { timeout: 120_000 });
  await expect(page.getByRole("button", { name: "Cancel job" })).toHaveCount(0);
  const points = (await lossAndState(page)).points;
  expect(points).toBeGreaterThan(later.points);
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
