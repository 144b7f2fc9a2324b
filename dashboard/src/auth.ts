// Who is using the dashboard. The token lives in sessionStorage only (never in a URL or a cookie)
// and is sent as "Authorization: Bearer"; the role comes from GetServerInfo (caller, callerRole).
const KEY = "graft.token";

export type Role = "reader" | "trainer" | "admin";
const ORDER: Role[] = ["reader", "trainer", "admin"];

export interface Session {
  /** whether the server asked for credentials */
  authOn: boolean;
  role: Role;
  /** the principal's name, when the server said it */
  name: string;
}

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(KEY, t);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

let current: Session = { authOn: false, role: "reader", name: "" };

export function session(): Session {
  return current;
}

export function setSession(s: Session): void {
  current = s;
}

/** Whether the signed-in principal has at least `role`. */
export function can(role: Role): boolean {
  return ORDER.indexOf(current.role) >= ORDER.indexOf(role);
}

