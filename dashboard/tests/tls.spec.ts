// The dashboard over TLS: a server with a certificate and tokens (started by dashboard/test with a
// self-signed certificate made for the run). The page and every call it makes go over https (none
// falls back to http), and the token is asked for once, as over plain HTTP.
import { expect, test } from "@playwright/test";
import { READER_TOKEN, TLS_URL, accessible, shot } from "./graft";

test.use({ ignoreHTTPSErrors: true }); // the run's own self-signed certificate

test("over TLS: sign in, then every page and call over https", async ({ page }) => {
  expect(TLS_URL).toMatch(/^https:\/\//);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${TLS_URL}/`);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Access token").fill(READER_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("rita · reader")).toBeVisible();

  await page.goto(`${TLS_URL}/#/devices`);
  const loaded = page.getByRole("region", { name: "Loaded models" });
  await expect(loaded).toContainText("minilm-l6@1");
  await page.goto(`${TLS_URL}/#/models/minilm-l6@1`);
  await expect(page.getByText("minilm-l6@1").first()).toBeVisible();
  await page.goto(`${TLS_URL}/#/try`);
  await expect(page.getByText("rita · reader")).toBeVisible(); // the token was not asked for again
  await shot(page, "tls-try-it");
  await accessible(page, "tls-try-it");

  const api = requests.filter((u) => u.includes("/graft.v1."));
  expect(api.length).toBeGreaterThan(2);
  expect(requests.filter((u) => !u.startsWith("https://"))).toEqual([]);
});
