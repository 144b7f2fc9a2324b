package dev.graft.server.http;

import dev.graft.server.security.Role;
import io.javalin.security.RouteRole;

/** Who may call a route: anyone ({@link #OPEN}), or a principal with at least a role. */
enum Access implements RouteRole {
  OPEN(null),
  READER(Role.READER),
  TRAINER(Role.TRAINER),
  ADMIN(Role.ADMIN);

  private final Role role;

  Access(Role role) {
    this.role = role;
  }

  /** The role a principal needs; null for open routes. */
  Role role() {
    return role;
  }
}
