import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { StatusSchema, type Status } from "./gen/google/rpc/status_pb.js";

/** The canonical gRPC status codes, by their gRPC names. */
export const StatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code name, e.g. `"NOT_FOUND"`. */
export type StatusCodeName = keyof typeof StatusCode;

/** The gRPC name of a numeric status code (`5` → `"NOT_FOUND"`), `"UNKNOWN"` for others. */
export function statusCodeName(code: number): StatusCodeName {
  for (const [name, value] of Object.entries(StatusCode)) {
    if (value === code) {
      return name as StatusCodeName;
    }
  }
  return "UNKNOWN";
}

/** One bad field of a request, from a `google.rpc.BadRequest` detail. */
export interface FieldViolation {
  /** The API field name, e.g. `"inputs"` or `"inputs[3]"`. */
  field: string;
  description: string;
  /** The violation's reason, where the server set one. */
  reason: string;
}

/** What the `grpc-status-details-bin` trailer (a `google.rpc.Status`) says. */
export interface StatusDetails {
  code: number;
  message: string;
  /** `ErrorInfo.reason`, e.g. `"MODEL_NOT_FOUND"`; `""` when the status has no ErrorInfo. */
  reason: string;
  /** `ErrorInfo.domain` (`"graft.dev"` for Graft's own errors). */
  domain: string;
  /** `ErrorInfo.metadata`. */
  metadata: Record<string, string>;
  fieldViolations: FieldViolation[];
}

const STATUS_DETAILS_TRAILER = "grpc-status-details-bin";

/**
 * Decodes a `google.rpc.Status` as gRPC sends it in the `grpc-status-details-bin` trailer:
 * base64 (padded or not) of the binary message. Details other than ErrorInfo and BadRequest are
 * ignored. Throws when the value is not a valid Status.
 */
export function decodeStatusDetails(trailerValue: string): StatusDetails {
  const status = fromBinary(StatusSchema, base64Decode(trailerValue.trim()));
  return detailsOfStatus(status);
}

/** Extracts the ErrorInfo and BadRequest details of a decoded `google.rpc.Status`. */
export function detailsOfStatus(status: Status): StatusDetails {
  const result: StatusDetails = {
    code: status.code,
    message: status.message,
    reason: "",
    domain: "",
    metadata: {},
    fieldViolations: [],
  };
  for (const detail of status.details) {
    const info = anyUnpack(detail, ErrorInfoSchema);
    if (info && result.reason === "") {
      result.reason = info.reason;
      result.domain = info.domain;
      result.metadata = { ...info.metadata };
      continue;
    }
    const badRequest = anyUnpack(detail, BadRequestSchema);
    if (badRequest) {
      for (const v of badRequest.fieldViolations) {
        result.fieldViolations.push({ field: v.field, description: v.description, reason: v.reason });
      }
    }
  }
  return result;
}

/**
 * A failed Graft call. `code` is the gRPC status code (compare with {@link StatusCode}),
 * `reason` the `google.rpc.ErrorInfo` reason the server attached (e.g. `"MODEL_NOT_FOUND"`,
 * `""` if none) and `fieldViolations` the `google.rpc.BadRequest` violations, all decoded from
 * the `grpc-status-details-bin` trailer.
 */
export class GraftError extends Error {
  override readonly name = "GraftError";
  /** The gRPC status code, e.g. `5` ({@link StatusCode.NOT_FOUND}). */
  readonly code: number;
  /** The ErrorInfo reason, e.g. `"MODEL_NOT_FOUND"`; `""` when the server sent none. */
  readonly reason: string;
  /** The ErrorInfo domain (`"graft.dev"` for Graft's errors). */
  readonly domain: string;
  /** The ErrorInfo metadata. */
  readonly errorMetadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];
  /** The server's status message, without the code prefix. */
  readonly rawMessage: string;
  /** Response headers and trailers of the failed call. */
  readonly metadata: Headers;

  constructor(
    code: number,
    rawMessage: string,
    init: {
      reason?: string;
      domain?: string;
      errorMetadata?: Record<string, string>;
      fieldViolations?: FieldViolation[];
      metadata?: Headers;
      cause?: unknown;
    } = {},
  ) {
    super(`${statusCodeName(code)}: ${rawMessage}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.rawMessage = rawMessage;
    this.reason = init.reason ?? "";
    this.domain = init.domain ?? "";
    this.errorMetadata = init.errorMetadata ?? {};
    this.fieldViolations = init.fieldViolations ?? [];
    this.metadata = init.metadata ?? new Headers();
  }

  /** The gRPC name of {@link code}, e.g. `"NOT_FOUND"`. */
  get codeName(): StatusCodeName {
    return statusCodeName(this.code);
  }

  /** The fields named by {@link fieldViolations}. */
  get fields(): string[] {
    return this.fieldViolations.map((v) => v.field);
  }

  /**
   * Converts what a call threw into a GraftError: a ConnectError (whose metadata holds the
   * response trailers) is decoded, preferring the `grpc-status-details-bin` trailer and falling
   * back to the details Connect parsed; a GraftError is returned as is; anything else becomes
   * UNKNOWN (an AbortError becomes CANCELLED).
   */
  static from(err: unknown): GraftError {
    if (err instanceof GraftError) {
      return err;
    }
    const ce = ConnectError.from(err);
    let details: StatusDetails | undefined;
    const trailer = ce.metadata.get(STATUS_DETAILS_TRAILER);
    if (trailer !== null) {
      try {
        details = decodeStatusDetails(trailer);
      } catch {
        details = undefined;
      }
    }
    if (details === undefined) {
      details = detailsOfConnectError(ce);
    }
    const tls = ce.code === Code.Internal || ce.code === Code.Unknown ? tlsFailure(err) : undefined;
    if (tls !== undefined) {
      // The connection could not be secured: UNAVAILABLE, as gRPC reports a failed transport.
      return new GraftError(StatusCode.UNAVAILABLE, `TLS handshake failed (${tls.code}): ${tls.message}`, {
        metadata: ce.metadata,
        cause: err,
      });
    }
    return new GraftError(ce.code as number, ce.rawMessage, {
      reason: details.reason,
      domain: details.domain,
      errorMetadata: details.metadata,
      fieldViolations: details.fieldViolations,
      metadata: ce.metadata,
      cause: err,
    });
  }
}

/** OpenSSL's certificate verification codes as Node reports them (see Node's tls docs). */
const X509_VERIFY_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_CRL", "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE", "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE", "CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED", "CRL_NOT_YET_VALID", "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD", "ERROR_IN_CERT_NOT_AFTER_FIELD", "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD", "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_CHAIN_TOO_LONG", "CERT_REVOKED",
  "INVALID_CA", "PATH_LENGTH_EXCEEDED", "INVALID_PURPOSE", "CERT_UNTRUSTED", "CERT_REJECTED", "HOSTNAME_MISMATCH",
]);

/**
 * The TLS error in an error's cause chain, if any: a failed handshake (`ERR_SSL_*`, e.g. the
 * server's alert that a client certificate is required), a host name mismatch (`ERR_TLS_*`) or
 * a certificate that did not verify.
 */
function tlsFailure(err: unknown): { code: string; message: string } | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (/^ERR_(SSL|TLS)_/.test(code) || X509_VERIFY_CODES.has(code))) {
      const reason = (e as { reason?: unknown }).reason; // OpenSSL's short reason, without its error stack
      return { code, message: typeof reason === "string" && reason !== "" ? reason : e.message };
    }
  }
  return undefined;
}

function detailsOfConnectError(ce: ConnectError): StatusDetails {
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const fieldViolations: FieldViolation[] = [];
  for (const br of ce.findDetails(BadRequestSchema)) {
    for (const v of br.fieldViolations) {
      fieldViolations.push({ field: v.field, description: v.description, reason: v.reason });
    }
  }
  return {
    code: ce.code,
    message: ce.rawMessage,
    reason: info?.reason ?? "",
    domain: info?.domain ?? "",
    metadata: { ...(info?.metadata ?? {}) },
    fieldViolations,
  };
}

