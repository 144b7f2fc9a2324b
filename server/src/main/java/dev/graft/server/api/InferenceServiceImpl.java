package dev.graft.server.api;

import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.PredictResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import javax.inject.Inject;

/** InferenceService: Extract and Predict, unary and streamed. */
public final class InferenceServiceImpl extends InferenceServiceGrpc.InferenceServiceImplBase {
  private final InferenceHandlers handlers;
  private final Calls calls;

  @Inject
  public InferenceServiceImpl(InferenceHandlers handlers, Calls calls) {
    this.handlers = handlers;
    this.calls = calls;
  }

  @Override
  public void extract(ExtractRequest request, StreamObserver<ExtractResponse> observer) {
    calls.unary(observer, () -> handlers.extract(request));
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
    calls.unary(observer, () -> handlers.predict(request));
  }

  @Override
  public StreamObserver<ExtractRequest> streamExtract(StreamObserver<ExtractResponse> observer) {
    return new EachRequest<>(observer, handlers::extract, calls.statuses());
  }

  @Override
  public StreamObserver<PredictRequest> streamPredict(StreamObserver<PredictResponse> observer) {
    return new EachRequest<>(observer, handlers::predict, calls.statuses());
  }

  /** A bidirectional stream that answers each request in order; the first failure ends the call. */
  private static final class EachRequest<Q, A> implements StreamObserver<Q> {
    private final StreamObserver<A> out;
    private final Function<Q, A> handler;
    private final StatusMapper statuses;
    private boolean failed;

    EachRequest(StreamObserver<A> out, Function<Q, A> handler, StatusMapper statuses) {
      this.out = out;
      this.handler = handler;
      this.statuses = statuses;
    }

    @Override
    public void onNext(Q request) {
      if (failed) {
        return;
      }
      try {
        out.onNext(handler.apply(request));
      } catch (RuntimeException e) {
        failed = true;
        out.onError(statuses.toStatusException(e));
      }
    }

    @Override
    public void onError(Throwable t) {
      failed = true;
    }

    @Override
    public void onCompleted() {
      if (!failed) {
        out.onCompleted();
      }
    }
  }
}
