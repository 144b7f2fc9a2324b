import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  ROOT_CONTEXT,
  context,
  createTraceState,
  propagation,
  trace,
  type Context,
  type ContextManager,
  type TraceState,
} from "@opentelemetry/api";
import {
  DatasetService,
  GraftClient,
  JobState,
  ServerService,
  TrainingService,
  traceContextInterceptor,
  traceparent,
  type GraftClientOptions,
} from "../src/index.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const SAMPLED = `00-${TRACE_ID}-${SPAN_ID}-01`;

/**
 * What an OpenTelemetry SDK registers on Node (as @opentelemetry/context-async-hooks does): the
 * active context kept in AsyncLocalStorage. Without a context manager `context.active()` is
 * always the root context, whatever `context.with` was given.
 */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** The trace headers of each call the server took, by method. */
const seen: Array<{ method: string; traceparent: string | null; tracestate: string | null; other: string | null }> = [];
let server: Http2Server;
let target = "";

before(async () => {
  assert.ok(context.setGlobalContextManager(new AsyncLocalStorageContextManager()));
  const record = (method: string, header: Headers): void => {
    seen.push({
      method,
      traceparent: header.get("traceparent"), // duplicates would read "a, b"
      tracestate: header.get("tracestate"),
      other: header.get("x-test-trace"),
    });
  };
  const handler = connectNodeAdapter({
    routes: (r) => {
      r.service(ServerService, {
        getServerInfo(_req, ctx) {
          record("GetServerInfo", ctx.requestHeader);
          return { version: "traced" };
        },
      });
      r.service(TrainingService, {
        async *watchJob(req, ctx) {
          record("WatchJob", ctx.requestHeader);
          yield { job: { id: req.id, state: JobState.SUCCEEDED } };
        },
      });
      r.service(DatasetService, {
        async uploadDataset(requests, ctx) {
          record("UploadDataset", ctx.requestHeader);
          for await (const _ of requests) {
            // drain the stream
          }
          return { id: "d1", name: "d" };
        },
      });
    },
  });
  server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  context.disable();
  await new Promise<void>((done) => server.close(() => done()));
});

/** Runs fn with a span context (as a remote parent or a current span would be) active. */
function withSpan<T>(fn: () => Promise<T>, traceFlags = 1, traceState?: TraceState): Promise<T> {
  const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags, ...(traceState ? { traceState } : {}) });
  return context.with(trace.setSpan(context.active(), span), fn);
}

async function using<T>(options: Partial<GraftClientOptions>, fn: (graft: GraftClient) => Promise<T>): Promise<T> {
  const graft = new GraftClient({ target, retry: false, timeoutMs: 10_000, ...options });
  try {
    return await fn(graft);
  } finally {
    graft.close();
  }
}

const last = (method: string) => seen.filter((s) => s.method === method).at(-1);

test("the active span is sent as traceparent", async () => {
  const info = await using({}, (graft) => withSpan(() => graft.serverInfo()));
  assert.equal(info.version, "traced");
  assert.deepEqual(last("GetServerInfo"), { method: "GetServerInfo", traceparent: SAMPLED, tracestate: null, other: null });
});

test("unsampled flags and the trace state are sent too", async () => {
  await using({}, (graft) => withSpan(() => graft.serverInfo(), 0, createTraceState("graft=t61rcWkgMzE")));
  assert.equal(last("GetServerInfo")?.traceparent, `00-${TRACE_ID}-${SPAN_ID}-00`);
  assert.equal(last("GetServerInfo")?.tracestate, "graft=t61rcWkgMzE");
});

test("no active span, no header", async () => {
  assert.equal(trace.getSpanContext(context.active()), undefined);
  await using({}, async (graft) => {
    await graft.serverInfo();
    assert.equal(last("GetServerInfo")?.traceparent, null);
    await withSpan(async () => undefined);
    await graft.serverInfo(); // the span is no longer active
  });
  assert.deepEqual(last("GetServerInfo"), { method: "GetServerInfo", traceparent: null, tracestate: null, other: null });
});

test("streams carry it, and a traceparent set by hand is replaced", async () => {
  await using({ token: "t" }, (graft) => withSpan(async () => {
    const job = await graft.wait("job-1");
    assert.equal(job.state, "SUCCEEDED");
    await graft.uploadDataset({ name: "d", domain: "nlp", format: "JSONL" }, { data: "{}\n" });
    await graft.serverInfo({ headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" } });
  }));
  assert.equal(last("WatchJob")?.traceparent, SAMPLED);
  assert.equal(last("UploadDataset")?.traceparent, SAMPLED);
  assert.equal(last("GetServerInfo")?.traceparent, SAMPLED);
});

test("tracing: false sends nothing; \"global\" sends what the global propagator writes", async () => {
  await using({ tracing: false }, (graft) => withSpan(() => graft.serverInfo()));
  assert.deepEqual(last("GetServerInfo"), { method: "GetServerInfo", traceparent: null, tracestate: null, other: null });

  // The global propagator is a no-op until one is registered.
  await using({ tracing: "global" }, (graft) => withSpan(() => graft.serverInfo()));
  assert.deepEqual(last("GetServerInfo"), { method: "GetServerInfo", traceparent: null, tracestate: null, other: null });
  propagation.setGlobalPropagator({
    inject(ctx, carrier, setter) {
      const sc = trace.getSpanContext(ctx);
      if (sc) {
        setter.set(carrier, "x-test-trace", `${sc.traceId}:${sc.spanId}`);
      }
    },
    extract: (ctx) => ctx,
    fields: () => ["x-test-trace"],
  });
  try {
    await using({ tracing: "global" }, (graft) => withSpan(() => graft.serverInfo()));
  } finally {
    propagation.disable();
  }
  assert.deepEqual(last("GetServerInfo"), {
    method: "GetServerInfo", traceparent: null, tracestate: null, other: `${TRACE_ID}:${SPAN_ID}`,
  });
});

test("traceparent formats the flags as two hex digits", () => {
  assert.equal(traceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }), SAMPLED);
  assert.equal(traceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0x1f }), `00-${TRACE_ID}-${SPAN_ID}-1f`);
  assert.equal(traceContextInterceptor(false), undefined);
  assert.equal(typeof traceContextInterceptor(), "function");
});

/**
 * The built client copied to a folder whose node_modules has every dependency but
 * @opentelemetry: a child process calls the server from there.
 */
test("without @opentelemetry/api the client installs nothing, works, and sends no header", async () => {
  const here = dirname(fileURLToPath(import.meta.url)); // dist/tests
  const root = resolve(here, "..", ".."); // clients/typescript
  const dir = mkdtempSync(join(tmpdir(), "graft-no-otel-"));
  try {
    cpSync(join(root, "dist", "src"), join(dir, "dist", "src"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    mkdirSync(join(dir, "node_modules"));
    for (const name of readdirSync(join(root, "node_modules"))) {
      if (name !== "@opentelemetry" && !name.startsWith(".")) {
        symlinkSync(join(root, "node_modules", name), join(dir, "node_modules", name));
      }
    }
    const script = `
      import { GraftClient, traceContextInterceptor } from "./dist/src/index.js";
      let loadable = true;
      try { await import("@opentelemetry/api"); } catch { loadable = false; }
      const graft = new GraftClient({ target: process.env.TARGET, retry: false, timeoutMs: 10000 });
      try {
        const info = await graft.serverInfo();
        console.log(JSON.stringify({ loadable, interceptor: traceContextInterceptor() === undefined ? "none" : "some", version: info.version }));
      } finally {
        graft.close();
      }`;
    const before = seen.length;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dir, env: { ...process.env, TARGET: target }, timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(stdout), { loadable: false, interceptor: "none", version: "traced" });
    assert.deepEqual(seen.slice(before), [{ method: "GetServerInfo", traceparent: null, tracestate: null, other: null }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
