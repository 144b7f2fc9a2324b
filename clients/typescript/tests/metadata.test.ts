import assert from "node:assert/strict";
import { test } from "node:test";
import { MODEL_HEADER, baseUrl, callHeaders } from "../src/index.js";

test("callHeaders sets the bearer token and x-graft-model", () => {
  const h = callHeaders({ token: "s3cret", model: "reviews@2" });
  assert.equal(h.get("authorization"), "Bearer s3cret");
  assert.equal(h.get(MODEL_HEADER), "reviews@2");
  assert.equal(MODEL_HEADER, "x-graft-model");
});

test("callHeaders leaves out what is not set and lets the caller's headers win", () => {
  const none = callHeaders({});
  assert.equal(none.get("authorization"), null);
  assert.equal(none.get(MODEL_HEADER), null);
  const h = callHeaders({ model: "a", headers: { "x-graft-model": "b", "x-request-id": "42" } });
  assert.equal(h.get(MODEL_HEADER), "b");
  assert.equal(h.get("x-request-id"), "42");
});

test("baseUrl turns targets into URLs", () => {
  assert.equal(baseUrl("localhost:50051", false), "http://localhost:50051");
  assert.equal(baseUrl("graft.example.com:443", true), "https://graft.example.com:443");
  assert.equal(baseUrl("dns:///graft:50051", false), "http://graft:50051");
  assert.equal(baseUrl("https://graft:8443/", false), "https://graft:8443");
  assert.throws(() => baseUrl(" ", false), RangeError);
});
