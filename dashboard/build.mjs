// Bundles the dashboard into static files: index.html, app.js, app.css (ours + uPlot's).
// Usage: node build.mjs [OUTDIR]   (default dist/; the Maven build passes server/target/classes/dashboard)
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const out = resolve(process.argv[2] ?? "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["es2022"],
  outfile: `${out}/app.js`,
  logLevel: "warning",
});
const css = readFileSync("node_modules/uplot/dist/uPlot.min.css", "utf8") + "\n" + readFileSync("src/styles.css", "utf8");
writeFileSync(`${out}/app.css`, css);
copyFileSync("src/index.html", `${out}/index.html`);
console.log(`dashboard built into ${out}`);
