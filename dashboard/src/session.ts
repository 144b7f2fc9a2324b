// Learns whether the server wants a token and which role it carries, without changing anything:
// GetServerInfo (role reader) answers 401 when a token is needed, and otherwise names the caller
// and its role (caller, callerRole).
import { ApiError, call } from "./api";
import { Session, token } from "./auth";

export type Detected = { kind: "signed-in"; session: Session } | { kind: "needs-token"; error?: ApiError };

export async function detectSession(): Promise<Detected> {
  let info: { caller?: string; callerRole?: string };
  try {
    info = await call<{ caller?: string; callerRole?: string }>("graft.v1.ServerService/GetServerInfo", {});
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: "needs-token", error: token() ? e : undefined };
    throw e;
  }
  const role = (["reader", "trainer", "admin"] as const).find((r) => r === info.callerRole) ?? "reader";
  return { kind: "signed-in", session: { authOn: token() !== null, role, name: info.caller ?? "" } };
}
