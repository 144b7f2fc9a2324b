#!/usr/bin/env node
// Generates the TypeScript stubs under src/gen from the repository's protos.
// buf only compiles files inside one module directory and cannot fetch googleapis here, so the
// graft/v1 protos and the vendored google/rpc protos (proto-deps/) are assembled into the
// gitignored build/proto first; buf brings the google/protobuf well-known types itself.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const protoRoot = resolve(pkg, "../../proto/src/main/proto");
const staged = join(pkg, "build/proto");

if (!existsSync(join(protoRoot, "graft/v1"))) {
  console.error(`generate: no protos at ${protoRoot}`);
  process.exit(1);
}
rmSync(staged, { recursive: true, force: true });
mkdirSync(staged, { recursive: true });
cpSync(join(protoRoot, "graft"), join(staged, "graft"), { recursive: true });
cpSync(join(pkg, "proto-deps/google"), join(staged, "google"), { recursive: true });

const bin = join(pkg, "node_modules/.bin");
const result = spawnSync("buf", ["generate", "build/proto", "--template", "buf.gen.yaml"], {
  cwd: pkg,
  stdio: "inherit",
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` },
});
if (result.error) {
  console.error(`generate: cannot run buf: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
