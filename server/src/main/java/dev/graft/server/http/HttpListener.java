package dev.graft.server.http;

import com.google.gson.JsonObject;
import dev.graft.server.core.Echo;
import dev.graft.server.security.Authenticator;
import dev.graft.server.security.Principal;
import dev.graft.server.security.Role;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP listener: {@code GET /metrics} (Prometheus text, OpenMetrics or protobuf, as the
 * scraper's {@code Accept} asks; role {@code reader} when authentication is on), {@code GET
 * /healthz} (200 while the process serves HTTP: liveness) and {@code GET /readyz} (200 once the
 * server is SERVING — built-in models loaded and warmed — else 503: readiness). The probes are
 * open. {@code GET /} is the web dashboard ({@link DashboardRoutes}). With TLS configured it
 * speaks HTTPS with the gRPC listener's certificates (and asks for client certificates under
 * mTLS); credentials are {@code Authorization: Bearer <token>} or the client certificate's
 * subject, as for gRPC. Errors are JSON: {@code {"code", "reason", "message"}} with 401, 403 or
 * 404.
 */
public final class HttpListener implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HttpListener.class.getName());
  private static final String BEARER = "Bearer ";
  /** Set by a route that answered with its own error body, which the status handlers keep. */
  static final String ANSWERED = "graft.answered";

  /**
   * @param port 0 for any free port
   * @param metrics whether {@code /metrics} is served
   * @param maxRequestBytes the largest request body (the gRPC listener's message limit)
   */
  public record Settings(int port, String address, boolean metrics, long maxRequestBytes) {}

  /** The gRPC listener's TLS, shared: its context, and whether client certificates are asked for. */
  public record Tls(SSLContext context, boolean clientCertificates) {}

  private final Settings settings;
  private final PrometheusRegistry registry;
  private final Authenticator authenticator;
  private final OipRoutes oip;
  private final ApiRoutes api;
  private final ExpositionFormats formats = ExpositionFormats.init();
  private Javalin app;
  private ServerConnector connector;

  public HttpListener(Settings settings, PrometheusRegistry registry, Authenticator authenticator, OipRoutes oip,
      ApiRoutes api) {
    this.settings = settings;
    this.registry = registry;
    this.authenticator = authenticator;
    this.oip = oip;
    this.api = api;
  }

  /** Starts listening; {@code ready} says whether {@code /readyz} answers 200. */
  public synchronized void start(Optional<Tls> tls, BooleanSupplier ready) {
    if (app != null) {
      throw new IllegalStateException("already started");
    }
    QueuedThreadPool threads = new QueuedThreadPool(64, 2);
    threads.setName("graft-http");
    threads.setDaemon(true);
    Javalin created = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.jetty.threadPool = threads;
      config.http.maxRequestSize = settings.maxRequestBytes();
      config.jetty.addConnector((server, http) -> connector(server, http, tls));
      config.routes.beforeMatched(this::authorize);
      config.routes.get("/healthz", ctx -> ctx.result("ok"), Access.OPEN);
      config.routes.get("/readyz", ctx -> {
        boolean serving = ready.getAsBoolean();
        ctx.status(serving ? 200 : 503).result(serving ? "ready" : "not ready: warming up or shutting down");
      }, Access.OPEN);
      if (settings.metrics()) {
        config.routes.get("/metrics", this::metrics, Access.READER);
      }
      oip.register(config.routes);
      api.register(config.routes);
      new DashboardRoutes().register(config.routes);
      // Unmatched paths only: a route that answers 404 itself (an unknown model) keeps its body.
      config.routes.error(404, "*", ctx -> {
        if (ctx.attribute(ANSWERED) == null) {
          error(ctx, 404, "NOT_FOUND", "no such path: " + path(ctx));
        }
      });
    });
    try {
      created.start();
    } catch (RuntimeException e) {
      created.stop();
      throw e;
    }
    app = created;
    LOG.log(System.Logger.Level.INFO, "HTTP listener on port " + port() + " (address " + settings.address()
        + (tls.isPresent() ? ", TLS" : ", plaintext") + "): /metrics, /healthz, /readyz, /v2 (Open Inference Protocol), /<package.Service>/<Method> (JSON, gRPC-Web), / (dashboard)");
  }

  private ServerConnector connector(Server server, HttpConfiguration http, Optional<Tls> tls) {
    if (tls.isPresent()) {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls.get().context());
      // Asked, not required: the probes stay open to clients without a certificate.
      ssl.setWantClientAuth(tls.get().clientCertificates());
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // certificates name the service, clients may dial an IP
      http.addCustomizer(secure);
      connector = new ServerConnector(server, ssl, new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setHost(settings.address());
    connector.setPort(settings.port());
    return connector;
  }

  /** Every matched route declares its {@link Access}; protected ones need a principal with the role. */
  private void authorize(Context ctx) {
    if (!"GET".equals(ctx.method().name()) && crossOrigin(ctx)) {
      // A web page elsewhere must not make a visitor's browser act on this server (CSRF): browsers
      // send Origin with every cross-origin POST, and some content types need no preflight.
      error(ctx, 403, "CROSS_ORIGIN", "requests from web pages of another origin (" + Echo.quote(ctx.header("Origin"))
          + ") are refused; call from the same origin, or from a program (no Origin header)");
      ctx.skipRemainingHandlers();
      return;
    }
    Set<RouteRole> roles = ctx.routeRoles();
    Role needed = roles.stream().map(r -> ((Access) r).role()).filter(r -> r != null).findFirst().orElse(null);
    if (needed == null || !authenticator.enabled()) {
      return;
    }
    Optional<Principal> principal = principal(ctx);
    if (principal.isEmpty()) {
      ctx.header("WWW-Authenticate", "Bearer");
      error(ctx, 401, "UNAUTHENTICATED", "send 'Authorization: Bearer <token>' (or a client certificate)");
      ctx.skipRemainingHandlers();
    } else if (!principal.get().role().includes(needed)) {
      error(ctx, 403, "ROLE_REQUIRED", path(ctx) + " needs role " + needed.label() + "; principal '"
          + principal.get().name() + "' has " + principal.get().role().label());
      ctx.skipRemainingHandlers();
    }
  }

  /** Whether the request carries an Origin other than this server's own (scheme, host and port). */
  static boolean crossOrigin(Context ctx) {
    String origin = ctx.header("Origin");
    if (origin == null) {
      return false;
    }
    String host = ctx.header("Host");
    try {
      URI o = new URI(origin);
      String authority = o.getPort() < 0 ? o.getHost() : o.getHost() + ":" + o.getPort();
      return host == null || o.getHost() == null || !authority.equalsIgnoreCase(host);
    } catch (URISyntaxException e) {
      return true; // "null" (a sandboxed page) and anything unparseable
    }
  }

  private Optional<Principal> principal(Context ctx) {
    String header = ctx.header("Authorization");
    if (header != null) {
      if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        return Optional.empty();
      }
      return authenticator.byToken(header.substring(BEARER.length()).strip());
    }
    Object certs = ctx.req().getAttribute("jakarta.servlet.request.X509Certificate");
    if (certs instanceof X509Certificate[] chain && chain.length > 0) {
      return authenticator.bySubject(chain[0].getSubjectX500Principal());
    }
    return Optional.empty();
  }

  private void metrics(Context ctx) throws IOException {
    ExpositionFormatWriter writer = formats.findWriter(ctx.header("Accept"));
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    writer.write(out, registry.scrape());
    ctx.contentType(writer.getContentType()).result(out.toByteArray());
  }

  private static void error(Context ctx, int status, String reason, String message) {
    JsonObject body = new JsonObject();
    body.addProperty("code", status);
    body.addProperty("reason", reason);
    body.addProperty("message", message);
    ctx.status(status).contentType("application/json").result(body.toString());
  }

  private static String path(Context ctx) {
    String p = ctx.path();
    return p.length() > 200 ? p.substring(0, 200) + "…" : p;
  }

  /** The port bound (useful with port 0); -1 when not listening. */
  public synchronized int port() {
    return app == null ? -1 : connector.getLocalPort();
  }

  @Override
  public synchronized void close() {
    if (app != null) {
      app.stop();
      app = null;
    }
  }
}
