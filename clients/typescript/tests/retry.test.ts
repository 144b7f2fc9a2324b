import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_RETRY_POLICY, StatusCode, backoffMs, retryPolicy, shouldRetry } from "../src/index.js";

test("only UNAVAILABLE is retried by default, up to maxAttempts", () => {
  const p = retryPolicy();
  assert.equal(p.maxAttempts, 4);
  assert.ok(shouldRetry(p, StatusCode.UNAVAILABLE, 1));
  assert.ok(shouldRetry(p, StatusCode.UNAVAILABLE, 3));
  assert.ok(!shouldRetry(p, StatusCode.UNAVAILABLE, 4));
  for (const code of [StatusCode.NOT_FOUND, StatusCode.INVALID_ARGUMENT, StatusCode.DEADLINE_EXCEEDED, StatusCode.INTERNAL]) {
    assert.ok(!shouldRetry(p, code, 1), `code ${code} must not be retried`);
  }
});

test("no retry when the pause would pass the deadline", () => {
  const p = retryPolicy();
  assert.ok(shouldRetry(p, StatusCode.UNAVAILABLE, 1, 500, 100));
  assert.ok(!shouldRetry(p, StatusCode.UNAVAILABLE, 1, 50, 100));
  assert.ok(!shouldRetry(p, StatusCode.UNAVAILABLE, 1, -1, 0));
});

test("backoff grows exponentially, is capped and jittered", () => {
  const p = retryPolicy({ initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1000 });
  const top = () => 0.999999;
  assert.equal(backoffMs(p, 1, top), 99);
  assert.equal(backoffMs(p, 2, top), 199);
  assert.equal(backoffMs(p, 3, top), 399);
  assert.equal(backoffMs(p, 10, top), 999);
  assert.equal(backoffMs(p, 3, () => 0), 0);
  for (let i = 0; i < 100; i++) {
    const b = backoffMs(p, 2);
    assert.ok(b >= 0 && b < 200);
  }
});

test("retry: false allows one attempt; bad policies are rejected", () => {
  assert.equal(retryPolicy(false).maxAttempts, 1);
  assert.ok(!shouldRetry(retryPolicy(false), StatusCode.UNAVAILABLE, 1));
  assert.throws(() => retryPolicy({ maxAttempts: 0 }), RangeError);
  assert.throws(() => retryPolicy({ multiplier: 0.5 }), RangeError);
  assert.deepEqual(retryPolicy({ retryableCodes: [StatusCode.RESOURCE_EXHAUSTED] }).retryableCodes, [8]);
  assert.equal(DEFAULT_RETRY_POLICY.maxAttempts, 4);
});
