/** Request headers: a Headers object, a record or name/value pairs. */
export type HeadersLike = ConstructorParameters<typeof Headers>[0];

/** The metadata key a load balancer hashes on: the model a call is about. */
export const MODEL_HEADER = "x-graft-model";

/**
 * The request headers of one call: `authorization: Bearer <token>` when a token is set,
 * `x-graft-model` when the call is about a model, then the caller's own headers (which may
 * override either).
 */
export function callHeaders(init: {
  token?: string | undefined;
  model?: string | undefined;
  headers?: HeadersLike | undefined;
}): Headers {
  const headers = new Headers();
  if (init.token) {
    headers.set("authorization", `Bearer ${init.token}`);
  }
  if (init.model) {
    headers.set(MODEL_HEADER, init.model);
  }
  if (init.headers) {
    new Headers(init.headers).forEach((value, key) => headers.set(key, value));
  }
  return headers;
}

/**
 * The base URL for a target: `host:port` (or `dns:///host:port`) gets `http://`, or `https://`
 * with TLS; an explicit `http://` or `https://` URL is kept (and decides TLS itself).
 */
export function baseUrl(target: string, tls: boolean): string {
  const t = target.trim().replace(/^dns:(\/\/\/)?/, "");
  if (/^https?:\/\//.test(t)) {
    return t.replace(/\/+$/, "");
  }
  if (t === "") {
    throw new RangeError("target must be host:port");
  }
  return `${tls ? "https" : "http"}://${t}`;
}
