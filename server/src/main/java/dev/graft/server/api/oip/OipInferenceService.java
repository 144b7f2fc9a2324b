package dev.graft.server.api.oip;

import dev.graft.api.oip.v2.GRPCInferenceServiceGrpc;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferResponse;
import dev.graft.api.oip.v2.ModelMetadataRequest;
import dev.graft.api.oip.v2.ModelMetadataResponse;
import dev.graft.api.oip.v2.ModelReadyRequest;
import dev.graft.api.oip.v2.ModelReadyResponse;
import dev.graft.api.oip.v2.ServerLiveRequest;
import dev.graft.api.oip.v2.ServerLiveResponse;
import dev.graft.api.oip.v2.ServerMetadataRequest;
import dev.graft.api.oip.v2.ServerMetadataResponse;
import dev.graft.api.oip.v2.ServerReadyRequest;
import dev.graft.api.oip.v2.ServerReadyResponse;
import dev.graft.server.api.Calls;
import dev.graft.server.api.ServingState;
import io.grpc.stub.StreamObserver;
import javax.inject.Inject;

/**
 * {@code inference.GRPCInferenceService}, the Open Inference Protocol v2 over gRPC, on the same
 * port and behind the same interceptors (auth and roles, metrics, access log, tracing) as
 * graft.v1; the protocol itself is {@link OipInference}. Errors carry Graft's ErrorInfo.
 */
public final class OipInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private final OipInference oip;
  private final ServingState serving;
  private final Calls calls;

  @Inject
  public OipInferenceService(OipInference oip, ServingState serving, Calls calls) {
    this.oip = oip;
    this.serving = serving;
    this.calls = calls;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
    calls.unary(observer, () -> ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
    calls.unary(observer, () -> ServerReadyResponse.newBuilder().setReady(serving.serving()).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
    calls.unary(observer, () -> ModelReadyResponse.newBuilder()
        .setReady(serving.serving() && oip.modelReady(request.getName(), request.getVersion())).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
    calls.unary(observer, oip::serverMetadata);
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
    calls.unary(observer, () -> oip.modelMetadata(request.getName(), request.getVersion()));
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
    calls.unary(observer, () -> oip.infer(request));
  }
}
