import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  GraftError,
  StatusCode,
  StatusSchema,
  decodeStatusDetails,
  statusCodeName,
} from "../src/index.js";

/** A grpc-status-details-bin value as grpc-java writes it: unpadded base64 of a google.rpc.Status. */
function statusTrailer(code: number, message: string, reason: string, fields: string[] = []): string {
  const details = [
    anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason, domain: "graft.dev", metadata: { model: "m" } })),
  ];
  if (fields.length > 0) {
    details.push(
      anyPack(
        BadRequestSchema,
        create(BadRequestSchema, { fieldViolations: fields.map((field) => ({ field, description: `${field} is bad` })) }),
      ),
    );
  }
  const status = create(StatusSchema, { code, message, details });
  return base64Encode(toBinary(StatusSchema, status), "std_raw");
}

test("decodeStatusDetails reads ErrorInfo and BadRequest from the trailer", () => {
  const d = decodeStatusDetails(statusTrailer(3, "no inputs", "EMPTY_INPUTS", ["inputs", "inputs[3]"]));
  assert.equal(d.code, 3);
  assert.equal(d.message, "no inputs");
  assert.equal(d.reason, "EMPTY_INPUTS");
  assert.equal(d.domain, "graft.dev");
  assert.deepEqual(d.metadata, { model: "m" });
  assert.deepEqual(
    d.fieldViolations.map((v) => [v.field, v.description]),
    [
      ["inputs", "inputs is bad"],
      ["inputs[3]", "inputs[3] is bad"],
    ],
  );
});

test("decodeStatusDetails accepts padded base64 too", () => {
  const status = create(StatusSchema, {
    code: 5,
    message: "x",
    details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "MODEL_NOT_FOUND" }))],
  });
  const padded = base64Encode(toBinary(StatusSchema, status), "std");
  assert.equal(decodeStatusDetails(padded).reason, "MODEL_NOT_FOUND");
});

test("GraftError.from decodes the grpc-status-details-bin trailer of a ConnectError", () => {
  const trailers = new Headers({
    "grpc-status": "5",
    "grpc-message": "model no-such-model not found",
    "grpc-status-details-bin": statusTrailer(5, "model no-such-model not found", "MODEL_NOT_FOUND"),
  });
  // What connect's gRPC transport throws: its own details left empty here, so only the trailer can tell.
  const ce = new ConnectError("model no-such-model not found", Code.NotFound, trailers);
  const err = GraftError.from(ce);
  assert.ok(err instanceof GraftError);
  assert.ok(err instanceof Error);
  assert.equal(err.code, StatusCode.NOT_FOUND);
  assert.equal(err.codeName, "NOT_FOUND");
  assert.equal(err.reason, "MODEL_NOT_FOUND");
  assert.equal(err.domain, "graft.dev");
  assert.equal(err.rawMessage, "model no-such-model not found");
  assert.equal(err.message, "NOT_FOUND: model no-such-model not found");
  assert.deepEqual(err.fieldViolations, []);
  assert.equal(err.cause, ce);
});

test("GraftError.from carries the field violations", () => {
  const trailers = new Headers({ "grpc-status-details-bin": statusTrailer(3, "bad", "EMPTY_INPUTS", ["inputs"]) });
  const err = GraftError.from(new ConnectError("bad", Code.InvalidArgument, trailers));
  assert.equal(err.code, StatusCode.INVALID_ARGUMENT);
  assert.equal(err.reason, "EMPTY_INPUTS");
  assert.deepEqual(err.fields, ["inputs"]);
  assert.equal(err.fieldViolations[0]?.description, "inputs is bad");
});

test("GraftError.from falls back to Connect's parsed details when the trailer is absent or garbage", () => {
  const detail = { desc: ErrorInfoSchema, value: { reason: "JOB_NOT_FOUND", domain: "graft.dev" } };
  const plain = GraftError.from(new ConnectError("gone", Code.NotFound, undefined, [detail]));
  assert.equal(plain.reason, "JOB_NOT_FOUND");
  const garbage = new Headers({ "grpc-status-details-bin": "!!!not base64 of a status" });
  const err = GraftError.from(new ConnectError("gone", Code.NotFound, garbage, [detail]));
  assert.equal(err.code, StatusCode.NOT_FOUND);
  assert.equal(err.reason, "JOB_NOT_FOUND");
});

test("GraftError.from maps other throwables", () => {
  const unknown = GraftError.from(new TypeError("boom"));
  assert.equal(unknown.code, StatusCode.UNKNOWN);
  assert.equal(unknown.reason, "");
  const same = new GraftError(StatusCode.INTERNAL, "x");
  assert.equal(GraftError.from(same), same);
});

test("statusCodeName names every canonical code", () => {
  assert.equal(statusCodeName(0), "OK");
  assert.equal(statusCodeName(14), "UNAVAILABLE");
  assert.equal(statusCodeName(16), "UNAUTHENTICATED");
  assert.equal(statusCodeName(99), "UNKNOWN");
  // connect's Code enum uses the gRPC numbers.
  assert.equal(Code.Unavailable as number, StatusCode.UNAVAILABLE);
  assert.equal(Code.Unauthenticated as number, StatusCode.UNAUTHENTICATED);
});

test("a TLS failure under INTERNAL becomes UNAVAILABLE with OpenSSL's reason; other INTERNAL errors stay", () => {
  const alert = Object.assign(new Error("80CC:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required"), {
    code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    reason: "tlsv13 alert certificate required",
  });
  const e = GraftError.from(new ConnectError(alert.message, Code.Internal, undefined, undefined, alert));
  assert.equal(e.code, StatusCode.UNAVAILABLE);
  assert.equal(e.rawMessage, "TLS handshake failed (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): tlsv13 alert certificate required");
  const untrusted = Object.assign(new Error("self-signed certificate in certificate chain"), { code: "SELF_SIGNED_CERT_IN_CHAIN" });
  assert.equal(GraftError.from(new ConnectError("x", Code.Internal, undefined, undefined, untrusted)).codeName, "UNAVAILABLE");
  const other = Object.assign(new Error("boom"), { code: "ERR_SOMETHING" });
  assert.equal(GraftError.from(new ConnectError("boom", Code.Internal, undefined, undefined, other)).code, StatusCode.INTERNAL);
  // A status the server sent is never reinterpreted, whatever its cause chain.
  assert.equal(GraftError.from(new ConnectError("denied", Code.PermissionDenied, undefined, undefined, alert)).code,
    StatusCode.PERMISSION_DENIED);
});
