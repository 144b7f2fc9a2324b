package dev.graft.server.api;

import dev.graft.api.v1.ClassScore;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.FloatVector;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.Prediction;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.inference.Inferencer;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Pooling;
import dev.graft.spi.Task;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import javax.inject.Inject;

/** InferenceService: Extract and Predict, unary and streamed. */
public final class InferenceServiceImpl extends InferenceServiceGrpc.InferenceServiceImplBase {
  private final Inferencer inferencer;
  private final Calls calls;

  @Inject
  public InferenceServiceImpl(Inferencer inferencer, Calls calls) {
    this.inferencer = inferencer;
    this.calls = calls;
  }

  @Override
  public void extract(ExtractRequest request, StreamObserver<ExtractResponse> observer) {
    calls.unary(observer, () -> extract(request));
  }

  @Override
  public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
    calls.unary(observer, () -> predict(request));
  }

  @Override
  public StreamObserver<ExtractRequest> streamExtract(StreamObserver<ExtractResponse> observer) {
    return new EachRequest<>(observer, this::extract, calls.statuses());
  }

  @Override
  public StreamObserver<PredictRequest> streamPredict(StreamObserver<PredictResponse> observer) {
    return new EachRequest<>(observer, this::predict, calls.statuses());
  }

  private ExtractResponse extract(ExtractRequest r) {
    FeatureRequest request = new FeatureRequest(r.getLayer(), pooling(r.getPooling()), r.getNormalize());
    Inferencer.Result result = inferencer.extract(r.getModel(), InputMapper.inputs(r.getInputsList(), "inputs"), request);
    ExtractResponse.Builder out = ExtractResponse.newBuilder().setModel(result.model()).setLayer(result.layer());
    for (float[] v : result.vectors()) {
      FloatVector.Builder vector = FloatVector.newBuilder();
      for (float x : v) {
        vector.addValues(x);
      }
      out.addFeatures(vector);
    }
    return out.setDimension(result.vectors().length == 0 ? 0 : result.vectors()[0].length).build();
  }

  private PredictResponse predict(PredictRequest r) {
    if (r.getTopK() < 0) {
      throw GraftException.invalidArgument("top_k", "INVALID_TOP_K", "top_k must be ≥ 0 (0 = all classes)");
    }
    Inferencer.Result result = inferencer.predict(r.getModel(), InputMapper.inputs(r.getInputsList(), "inputs"));
    ModelRecord model = inferencer.model(result.model());
    PredictResponse.Builder out = PredictResponse.newBuilder().setModel(result.model());
    for (float[] scores : result.vectors()) {
      Prediction.Builder p = Prediction.newBuilder();
      if (model.task() == Task.CLASSIFICATION) {
        List<ClassScore> classes = new ArrayList<>(scores.length);
        for (int c = 0; c < scores.length; c++) {
          classes.add(ClassScore.newBuilder().setLabel(model.labels().get(c)).setScore(scores[c]).build());
        }
        classes.sort(Comparator.comparingDouble(ClassScore::getScore).reversed());
        p.addAllClasses(r.getTopK() > 0 ? classes.subList(0, Math.min(r.getTopK(), classes.size())) : classes);
      } else {
        for (float v : scores) {
          p.addValues(v);
        }
      }
      out.addPredictions(p);
    }
    return out.build();
  }

  private static Pooling pooling(dev.graft.api.v1.Pooling p) {
    return switch (p) {
      case POOLING_DEFAULT -> Pooling.DEFAULT;
      case POOLING_MEAN -> Pooling.MEAN;
      case POOLING_CLS -> Pooling.CLS;
      case POOLING_MAX -> Pooling.MAX;
      case UNRECOGNIZED -> throw GraftException.invalidArgument("pooling", "UNKNOWN_POOLING", "unknown pooling");
    };
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
