package dev.graft.server.api;

import dev.graft.api.v1.ClassScore;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.FloatVector;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.Prediction;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.inference.Inferencer;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.Pooling;
import dev.graft.spi.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.inject.Inject;

/**
 * Extract and Predict on graft.v1 messages, whichever door a call came in by: graft.v1's
 * InferenceService and the Open Inference Protocol service both answer through these, so
 * validation, batching, metrics and tracing are one code path. Thread-safe.
 */
public final class InferenceHandlers {
  private final Inferencer inferencer;

  @Inject
  public InferenceHandlers(Inferencer inferencer) {
    this.inferencer = inferencer;
  }

  /** Extract: features of {@code r}'s inputs (validated, batched, measured by the {@link Inferencer}). */
  public ExtractResponse extract(ExtractRequest r) {
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

  /** Predict: class scores, highest first (top_k of them), or values. */
  public PredictResponse predict(PredictRequest r) {
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

  /** The record a model reference resolves to; NOT_FOUND when there is none. */
  public ModelRecord model(String ref) {
    return inferencer.model(ref);
  }
}
