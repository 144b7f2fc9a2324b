// Learns whether the server wants a token and which role it carries, without changing anything:
// GetServerInfo (role reader) answers 401 when a token is needed; ExportModel of no name (role
// admin, not audited) answers 400 MISSING_FIELD to an admin, or 403 ROLE_REQUIRED naming the
// principal and its role to anyone else.
import { ApiError, call } from "./api";
import { Session, principalFrom, token } from "./auth";

export type Detected = { kind: "signed-in"; session: Session } | { kind: "needs-token"; error?: ApiError };

export async function detectSession(): Promise<Detected> {
  try {
    await call("graft.v1.ServerService/GetServerInfo", {});
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: "needs-token", error: token() ? e : undefined };
    throw e;
  }
  const authOn = token() !== null;
  try {
    await call("graft.v1.ModelService/ExportModel", { name: "" });
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      const p = principalFrom(e.message);
      return { kind: "signed-in", session: { authOn, role: p?.role ?? "reader", name: p?.name ?? "" } };
    }
    if (e instanceof ApiError && e.status === 400) {
      return { kind: "signed-in", session: { authOn, role: "admin", name: authOn ? "" : "anonymous" } };
    }
    throw e;
  }
  return { kind: "signed-in", session: { authOn, role: "admin", name: "" } };
}
