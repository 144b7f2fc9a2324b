import { createRequire } from "node:module";
import type { Interceptor } from "@connectrpc/connect";
// Types only (erased from the output): the package is an optional peer, loaded at run time below.
import type * as OpenTelemetryApi from "@opentelemetry/api";

/**
 * What each call sends of the caller's OpenTelemetry context (`context.active()`):
 * - `"w3c"` (the default): W3C Trace Context written from the active span context —
 *   `traceparent: 00-<trace id>-<span id>-<flags>` and, when not empty, `tracestate`. Needs only
 *   `@opentelemetry/api` (no SDK, no global propagator, no `@opentelemetry/core`); nothing is
 *   sent when no valid span is active.
 * - `"global"`: whatever the globally registered propagator writes (`propagation.inject`), e.g.
 *   the SDK's W3C Trace Context and Baggage. A no-op until an SDK registers one.
 * - `false`: nothing.
 */
export type TracingMode = "w3c" | "global" | false;

type Api = typeof OpenTelemetryApi;

let cached: Api | null | undefined;

/** `@opentelemetry/api` when it can be loaded from here (looked up once), else `null`. */
function openTelemetryApi(): Api | null {
  if (cached === undefined) {
    try {
      cached = createRequire(import.meta.url)("@opentelemetry/api") as Api;
    } catch {
      cached = null;
    }
  }
  return cached;
}

/** The `traceparent` value of a span context: version 00, ids, flags as two hex digits. */
export function traceparent(spanContext: { traceId: string; spanId: string; traceFlags: number }): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * A Connect interceptor that writes the caller's trace context into each call's request headers
 * (replacing any value already there), or `undefined` when `@opentelemetry/api` cannot be loaded
 * or `mode` is `false`. {@link GraftClient} installs it on the transport it makes; add it to the
 * `interceptors` of a transport you make yourself. The active context is read when each call
 * (and each retry) starts, so it is the context of the code that made the call.
 */
export function traceContextInterceptor(mode: TracingMode = "w3c"): Interceptor | undefined {
  if (mode === false) {
    return undefined;
  }
  const api = openTelemetryApi();
  if (api === null) {
    return undefined;
  }
  if (mode === "global") {
    const setter: OpenTelemetryApi.TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };
    return (next) => (req) => {
      api.propagation.inject(api.context.active(), req.header, setter);
      return next(req);
    };
  }
  return (next) => (req) => {
    const spanContext = api.trace.getSpanContext(api.context.active());
    if (spanContext !== undefined && api.isSpanContextValid(spanContext)) {
      req.header.set("traceparent", traceparent(spanContext));
      const state = spanContext.traceState?.serialize();
      if (state) {
        req.header.set("tracestate", state);
      } else {
        req.header.delete("tracestate");
      }
    }
    return next(req);
  };
}
