// The TypeScript examples of clients/typescript/README.md, verbatim, so that tsc compiles them
// (npm run build, in clients/typescript/test); scripts/doc-examples checks that each README block
// is in this file, in order. Not run: they need a server. Edit them here and in the README together.
import { GraftClient, GraftError, StatusCode } from "graft-client";
import { readFileSync } from "node:fs";
import type { Tracer } from "@opentelemetry/api";

/** README: Quickstart. */
export async function quickstart(): Promise<void> {

  const graft = new GraftClient({
    target: "localhost:50051",    // or "https://graft.example.com", or tls: true / { ca }
    token: process.env.GRAFT_TOKEN, // sent as "authorization: Bearer …"
    timeoutMs: 30_000,            // default deadline of unary calls
  });

  try {
    // Upload a JSONL dataset from a file (or { data }, { parts }, { examples: [...] } from memory).
    const dataset = await graft.uploadDataset(
      { name: "reviews", domain: "nlp", format: "JSONL" },
      { file: "reviews.jsonl" },
    );

    // Train (returns at once), then follow the job.
    const job = await graft.train({
      baseModel: "minilm-l6",
      strategy: "feature-extraction",
      outputModel: "reviews",
      train: dataset.id,            // or in-memory examples: [{ input: "great", label: "positive" }]
      validationSplit: 0.25,
      hyperparameters: { epochs: 30, seed: 7 },
    });
    for await (const event of graft.watch(job)) {
      console.log(event.job.state, event.job.progress?.fraction, event.message);  // RUNNING 0.4 epoch 12/30
    }
    // or: const done = await graft.wait(job, { timeoutMs: 600_000, onEvent: (e) => … });

    const { predictions, model } = await graft.predict("reviews", ["what a lovely day"], { topK: 2 });
    console.log(model, predictions[0]!.classes);   // [{ label: "positive", score: 0.97 }, …]

    const { vectors } = await graft.extract("minilm-l6", ["hello", "world"], { normalize: true });
    console.log(vectors[0] instanceof Float32Array, vectors[0]!.length);  // true 384
  } catch (e) {
    if (e instanceof GraftError && e.code === StatusCode.NOT_FOUND) {
      console.error(e.reason, e.fieldViolations);  // e.g. "MODEL_NOT_FOUND"
    }
    throw e;
  } finally {
    graft.close();  // the HTTP/2 connection keeps the process alive until closed
  }
}

/** README: TLS. */
export function secured(): GraftClient {
  const graft = new GraftClient({
    target: "graft.example.com:443",
    tls: { ca: readFileSync("ca.pem"), cert: readFileSync("client.pem"), key: readFileSync("client.key") },
    token: process.env.GRAFT_TOKEN,
  });
  return graft;
}

/** README: tracing. */
export async function traced(graft: GraftClient, tracer: Tracer): Promise<void> {
  await tracer.startActiveSpan("classify", async (span) => {
    try {
      await graft.predict("reviews", ["Lovely staff!"]);   // traceparent: 00-<trace>-<span>-01
    } finally {
      span.end();
    }
  });
}
