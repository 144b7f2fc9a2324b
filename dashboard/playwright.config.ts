// Playwright drives Debian's Chromium (no browser download): CHROMIUM or /usr/bin/chromium.
// The servers are started by dashboard/test, which passes their URLs in GRAFT_URL and GRAFT_AUTH_URL.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "tests",
  timeout: 180_000,
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: [["list"]],
  outputDir: "target/test-results",
  use: {
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    },
    viewport: { width: 1280, height: 900 },
    trace: "off",
  },
});
