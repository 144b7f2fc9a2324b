package dev.graft.server.security;

import java.util.Objects;

/**
 * Who makes a call: a name from the tokens file (recorded as {@code created_by}) and a role.
 *
 * @param name the principal's name; {@value #ANONYMOUS_NAME} when the server runs without auth
 * @param role what it may do
 * @param authenticated false only for the anonymous principal of a server without auth
 */
public record Principal(String name, Role role, boolean authenticated) {
  /** The name of every caller of a server without authentication. */
  public static final String ANONYMOUS_NAME = "anonymous";
  /** The name recorded on what the server creates by itself (built-in models). */
  public static final String SYSTEM_NAME = "graft";

  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** The caller of a server without authentication: an admin, reachable only on loopback by default. */
  public static Principal anonymous() {
    return new Principal(ANONYMOUS_NAME, Role.ADMIN, false);
  }

  /** Whether this principal may change or delete something that {@code createdBy} created. */
  public boolean canModify(String createdBy) {
    return role == Role.ADMIN || name.equals(createdBy);
  }
}
