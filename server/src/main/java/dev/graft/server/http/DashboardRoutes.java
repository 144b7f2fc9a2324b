package dev.graft.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The web dashboard (dashboard/ in the repository, built by npm into the jar's {@code dashboard/}
 * resources): {@code GET /} is its page, {@code GET /dashboard/<file>} its script and styles. Open
 * routes, like any static file: the data comes from the API routes, which check the caller's
 * token. Nothing is fetched from elsewhere (the Content-Security-Policy allows this origin only).
 * A jar built without the dashboard answers {@code /} with 404 {@code DASHBOARD_NOT_BUILT}.
 */
final class DashboardRoutes {
  private static final String ROOT = "dashboard/";
  private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon");
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
      + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  void register(RoutesConfig routes) {
    routes.get("/", ctx -> serve(ctx, "index.html"), Access.OPEN);
    routes.get("/dashboard/{file}", ctx -> serve(ctx, ctx.pathParam("file")), Access.OPEN);
  }

  private static void serve(Context ctx, String file) {
    Optional<byte[]> body = FILE.matcher(file).matches() && !file.contains("..") ? read(file) : Optional.empty();
    if (body.isEmpty()) {
      boolean page = file.equals("index.html");
      ctx.attribute(HttpListener.ANSWERED, true);
      ctx.status(404).contentType("application/json").result(page
          ? "{\"code\":404,\"reason\":\"DASHBOARD_NOT_BUILT\",\"message\":\"this server jar was built without the dashboard (npm was not run)\"}"
          : "{\"code\":404,\"reason\":\"NOT_FOUND\",\"message\":\"no such dashboard file\"}");
      return;
    }
    String extension = file.substring(file.lastIndexOf('.') + 1);
    ctx.contentType(TYPES.getOrDefault(extension, "application/octet-stream"))
        .header("Cache-Control", "no-cache")
        .header("X-Content-Type-Options", "nosniff")
        .header("Content-Security-Policy", CSP)
        .header("Referrer-Policy", "no-referrer")
        .result(body.get());
  }

  private static Optional<byte[]> read(String file) {
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(ROOT + file)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
