package dev.graft.server.api;

import dev.graft.server.security.Principal;
import io.grpc.Context;

/** The principal of the call being served, set by {@link AuthInterceptor} in the gRPC context. */
public final class CallPrincipal {
  static final Context.Key<Principal> KEY = Context.key("graft-principal");

  private CallPrincipal() {}

  /**
   * The caller of the current call.
   *
   * @throws IllegalStateException outside a call that went through {@link AuthInterceptor}
   */
  public static Principal current() {
    Principal p = KEY.get();
    if (p == null) {
      throw new IllegalStateException("no principal in this call's context: AuthInterceptor did not run");
    }
    return p;
  }
}
