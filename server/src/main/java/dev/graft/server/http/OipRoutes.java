package dev.graft.server.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.graft.api.oip.v2.ServerMetadataResponse;
import dev.graft.server.api.ServingState;
import dev.graft.server.api.StatusMapper;
import dev.graft.server.api.oip.OipInference;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import javax.inject.Inject;

/**
 * The Open Inference Protocol v2 over HTTP/JSON on the HTTP listener: {@code GET /v2}, {@code
 * /v2/health/live}, {@code /v2/health/ready}, {@code GET /v2/models/{name}[/versions/{v}]} (and
 * {@code .../ready}), {@code POST .../infer} (JSON, or JSON plus binary tensors). Bodies are
 * translated by {@link OipJson} and answered by {@link OipInference}, the same implementation as
 * the gRPC service. Health is open; the rest needs role reader when authentication is on. Errors
 * are {@code {"error", "code", "reason", "field"}} with the HTTP status of the gRPC code.
 */
public final class OipRoutes {
  private final OipInference oip;
  private final ServingState serving;
  private final StatusMapper statuses;

  @Inject
  public OipRoutes(OipInference oip, ServingState serving, StatusMapper statuses) {
    this.oip = oip;
    this.serving = serving;
    this.statuses = statuses;
  }

  void register(RoutesConfig routes) {
    routes.get("/v2", answer(ctx -> json(ctx, 200, server(oip.serverMetadata()))), Access.READER);
    routes.get("/v2/health/live", ctx -> json(ctx, 200, flag("live", true)), Access.OPEN);
    routes.get("/v2/health/ready", ctx -> {
      boolean ready = serving.serving();
      json(ctx, ready ? 200 : 503, flag("ready", ready));
    }, Access.OPEN);
    for (String model : new String[] {"/v2/models/{name}", "/v2/models/{name}/versions/{version}"}) {
      routes.get(model, answer(ctx -> json(ctx, 200, OipJson.metadata(oip.modelMetadata(name(ctx), version(ctx))))),
          Access.READER);
      routes.get(model + "/ready", answer(ctx -> {
        boolean ready = serving.serving() && oip.modelReady(name(ctx), version(ctx));
        json(ctx, ready ? 200 : 404, flag("ready", ready));
      }), Access.READER);
      routes.post(model + "/infer", answer(this::infer), Access.READER);
    }
  }

  private void infer(Context ctx) {
    String length = ctx.header(OipJson.HEADER_LENGTH);
    Integer jsonLength;
    try {
      jsonLength = length == null ? null : Integer.valueOf(length.strip());
    } catch (NumberFormatException e) {
      throw OipJson.invalid(OipJson.HEADER_LENGTH, "INVALID_HEADER_LENGTH", OipJson.HEADER_LENGTH
          + " must be a byte count, not '" + length + "'");
    }
    OipJson.Request request = OipJson.request(name(ctx), version(ctx), ctx.bodyAsBytes(), jsonLength);
    OipJson.Body body = OipJson.response(oip.infer(request.proto()), request);
    if (body.jsonLength() != null) {
      ctx.header(OipJson.HEADER_LENGTH, Integer.toString(body.jsonLength()));
    }
    ctx.contentType(body.contentType()).result(body.bytes());
  }

  /** Runs {@code handler}; a failure becomes the OIP error body with the matching HTTP status. */
  private Handler answer(Handler handler) {
    return ctx -> {
      try {
        handler.handle(ctx);
      } catch (HttpResponseException e) {
        throw e; // Javalin's own answers (413 for a body over the limit) keep their status
      } catch (RuntimeException e) {
        error(ctx, statuses.toStatusException(e));
      }
    };
  }

  private static void error(Context ctx, io.grpc.StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    JsonObject body = new JsonObject();
    body.addProperty("error", e.getStatus().getDescription());
    body.addProperty("code", e.getStatus().getCode().name());
    if (status != null) {
      status.getDetailsList().forEach(a -> {
        try {
          if (a.is(ErrorInfo.class)) {
            body.addProperty("reason", a.unpack(ErrorInfo.class).getReason());
          } else if (a.is(BadRequest.class) && a.unpack(BadRequest.class).getFieldViolationsCount() > 0) {
            body.addProperty("field", a.unpack(BadRequest.class).getFieldViolations(0).getField());
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
          // a detail this server wrote itself; it parses
        }
      });
    }
    ctx.attribute(HttpListener.ANSWERED, true);
    ctx.status(httpStatus(e.getStatus().getCode())).contentType("application/json").result(body.toString());
  }

  /** The HTTP status for a gRPC code, as gRPC-HTTP gateways map them. */
  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  private static String name(Context ctx) {
    return ctx.pathParam("name");
  }

  private static String version(Context ctx) {
    return ctx.pathParamMap().getOrDefault("version", "");
  }

  private static JsonObject server(ServerMetadataResponse m) {
    JsonObject json = new JsonObject();
    json.addProperty("name", m.getName());
    json.addProperty("version", m.getVersion());
    JsonArray extensions = new JsonArray();
    m.getExtensionsList().forEach(extensions::add);
    json.add("extensions", extensions);
    return json;
  }

  private static void json(Context ctx, int status, JsonObject body) {
    ctx.attribute(HttpListener.ANSWERED, true);
    ctx.status(status).contentType("application/json").result(body.toString());
  }

  private static JsonObject flag(String name, boolean value) {
    JsonObject json = new JsonObject();
    json.addProperty(name, value);
    return json;
  }
}
