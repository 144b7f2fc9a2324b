// Graft's gRPC API over HTTP/JSON (docs/api.md): POST /graft.v1.<Service>/<Method> with a
// proto3-JSON body; server streams as NDJSON. The bearer token comes from auth.ts.
import { token } from "./auth";

/** A failed call, as the server reported it: {"code", "message", "reason", "field"} and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason = "",
    readonly field = "",
  ) {
    super(message);
  }
}

function headers(): HeadersInit {
  const h: Record<string, string> = { "Content-Type": "application/json" };
  const t = token();
  if (t) h["Authorization"] = `Bearer ${t}`;
  return h;
}

function toError(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as Record<string, unknown>;
  return new ApiError(
    status,
    String(b.code ?? status),
    String(b.message ?? `HTTP ${status}`),
    String(b.reason ?? ""),
    String(b.field ?? ""),
  );
}

async function post(path: string, body: object, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body), signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError(0, "UNAVAILABLE", `cannot reach the server: ${(e as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: unknown = { message: text || res.statusText };
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    throw toError(res.status, parsed);
  }
  return res;
}

/** A unary call: `call("graft.v1.ModelService/GetModel", {name})`. */
export async function call<T>(method: string, body: object = {}, signal?: AbortSignal): Promise<T> {
  const res = await post(`/${method}`, body, signal);
  return (await res.json()) as T;
}

/**
 * A server stream, read as NDJSON: `onMessage` gets each message; resolves when the stream ends,
 * rejects with an ApiError when it fails (also after messages: a final {"error": {...}} line).
 */
export async function stream<T>(
  method: string,
  body: object,
  onMessage: (m: T) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await post(`/${method}`, body, signal);
  if (!res.body) throw new ApiError(0, "UNKNOWN", "the response has no body");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const line = (text: string) => {
    if (!text.trim()) return;
    const m = JSON.parse(text) as Record<string, unknown>;
    if (m.error && Object.keys(m).length === 1) throw toError(500, m.error);
    onMessage(m as T);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      line(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  line(buffered);
}
