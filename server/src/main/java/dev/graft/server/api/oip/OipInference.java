package dev.graft.server.api.oip;

import com.google.protobuf.ByteString;
import dev.graft.api.oip.v2.InferParameter;
import dev.graft.api.oip.v2.ModelInferRequest;
import dev.graft.api.oip.v2.ModelInferResponse;
import dev.graft.api.oip.v2.ModelInferResponse.InferOutputTensor;
import dev.graft.api.oip.v2.ModelMetadataResponse;
import dev.graft.api.oip.v2.ModelMetadataResponse.TensorMetadata;
import dev.graft.api.oip.v2.ServerMetadataResponse;
import dev.graft.api.v1.ClassScore;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.FloatVector;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Pooling;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.Prediction;
import dev.graft.server.api.InferenceHandlers;
import dev.graft.server.app.ServerIdentity;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.inject.Inject;

/**
 * The Open Inference Protocol v2 on Graft's models, whatever the transport (gRPC or HTTP/JSON):
 * a base model answers {@code features} (FP32 [n, d]); a trained classifier {@code labels}
 * (BYTES [n, k]) and {@code scores} (FP32 [n, k]); a regression or forecasting model {@code
 * values} (FP32 [n, m]). Inputs are {@code text} (+ {@code pair}), {@code image} or {@code
 * series} tensors ({@link OipTensors}). Inference goes through {@link InferenceHandlers}, the code
 * graft.v1's Extract and Predict run, so validation, batching, metrics and tracing are theirs.
 * Versions are Graft's numbers; an empty version is the latest. Thread-safe.
 */
public final class OipInference {
  static final String FEATURES = "features";
  static final String LABELS = "labels";
  static final String SCORES = "scores";
  static final String VALUES = "values";
  /** Request parameters a base model takes (Extract's options). */
  private static final Set<String> EXTRACT_PARAMETERS = Set.of("layer", "pooling", "normalize");
  /** Request parameters a trained model takes (Predict's options). */
  private static final Set<String> PREDICT_PARAMETERS = Set.of("top_k");

  private final InferenceHandlers handlers;
  private final ModelStore models;
  private final ModelRuntime runtime;
  private final ServerIdentity identity;

  @Inject
  public OipInference(InferenceHandlers handlers, ModelStore models, ModelRuntime runtime, ServerIdentity identity) {
    this.handlers = handlers;
    this.models = models;
    this.runtime = runtime;
    this.identity = identity;
  }

  public ServerMetadataResponse serverMetadata() {
    return ServerMetadataResponse.newBuilder().setName("graft").setVersion(identity.version()).build();
  }

  /** Whether the model exists (Graft loads a model on its first call, so an existing one is ready). */
  public boolean modelReady(String name, String version) {
    return models.find(ref(name, version)).isPresent();
  }

  public ModelMetadataResponse modelMetadata(String name, String version) {
    ModelRecord model = handlers.model(ref(name, version));
    ModelMetadataResponse.Builder out = ModelMetadataResponse.newBuilder().setName(model.name())
        .setPlatform(model.engine().toLowerCase(Locale.ROOT) + "_" + model.format());
    models.list().stream().filter(m -> m.name().equals(model.name()))
        .forEach(m -> out.addVersions(Integer.toString(m.version())));
    for (String input : OipTensors.inputNames(kinds(model))) {
      out.addInputs(inputMetadata(input, model));
    }
    if (model.kind() == ModelKind.BASE) {
      out.addOutputs(tensor(FEATURES, OipTensors.FP32, -1, model.dimension() > 0 ? model.dimension() : -1));
    } else if (model.task() == Task.CLASSIFICATION) {
      out.addOutputs(tensor(LABELS, OipTensors.BYTES, -1, model.labels().size()));
      out.addOutputs(tensor(SCORES, OipTensors.FP32, -1, model.labels().size()));
    } else {
      out.addOutputs(tensor(VALUES, OipTensors.FP32, -1, model.input().horizon() > 0 ? model.input().horizon() : -1));
    }
    return out.build();
  }

  public ModelInferResponse infer(ModelInferRequest request) {
    ModelRecord model = handlers.model(ref(request.getModelName(), request.getModelVersion()));
    List<Input> inputs = OipTensors.inputs(request, kinds(model));
    Map<String, InferParameter> parameters = request.getParametersMap();
    List<ByteString> raw = request.getRawInputContentsCount() > 0 ? new ArrayList<>() : null;
    List<InferOutputTensor.Builder> outputs = new ArrayList<>();
    String answered;
    if (model.kind() == ModelKind.BASE) {
      requireKnown(parameters, EXTRACT_PARAMETERS);
      ExtractResponse features = handlers.extract(ExtractRequest.newBuilder().setModel(model.ref())
          .addAllInputs(inputs).setLayer(string(parameters, "layer"))
          .setPooling(pooling(string(parameters, "pooling"))).setNormalize(bool(parameters, "normalize")).build());
      float[][] rows = features.getFeaturesList().stream().map(OipInference::floats).toArray(float[][]::new);
      outputs.add(OipTensors.fp32(FEATURES, rows, features.getDimension(), raw)
          .putParameters("layer", InferParameter.newBuilder().setStringParam(features.getLayer()).build()));
      answered = features.getModel();
    } else {
      requireKnown(parameters, PREDICT_PARAMETERS);
      long topK = integer(parameters, "top_k");
      if (topK > Integer.MAX_VALUE) {
        throw GraftException.invalidArgument("parameters.top_k", "INVALID_TOP_K", "top_k is too large: " + topK);
      }
      PredictResponse predicted = handlers.predict(PredictRequest.newBuilder().setModel(model.ref())
          .addAllInputs(inputs).setTopK((int) topK).build());
      answered = predicted.getModel();
      if (model.task() == Task.CLASSIFICATION) {
        List<List<String>> labels = new ArrayList<>();
        List<float[]> scores = new ArrayList<>();
        for (Prediction p : predicted.getPredictionsList()) {
          labels.add(p.getClassesList().stream().map(ClassScore::getLabel).toList());
          float[] row = new float[p.getClassesCount()];
          for (int i = 0; i < row.length; i++) {
            row[i] = p.getClasses(i).getScore();
          }
          scores.add(row);
        }
        int k = labels.isEmpty() ? 0 : labels.get(0).size();
        outputs.add(OipTensors.strings(LABELS, labels, k, raw));
        outputs.add(OipTensors.fp32(SCORES, scores.toArray(float[][]::new), k, raw));
      } else {
        float[][] rows = predicted.getPredictionsList().stream()
            .map(p -> floats(FloatVector.newBuilder().addAllValues(p.getValuesList()).build())).toArray(float[][]::new);
        outputs.add(OipTensors.fp32(VALUES, rows, rows.length == 0 ? 0 : rows[0].length, raw));
      }
    }
    return response(request, answered, outputs, raw);
  }

  /** The response with the outputs the request asked for (all when it named none), in its order. */
  private static ModelInferResponse response(ModelInferRequest request, String answered,
      List<InferOutputTensor.Builder> outputs, List<ByteString> raw) {
    int at = answered.lastIndexOf('@');
    ModelInferResponse.Builder out = ModelInferResponse.newBuilder().setModelName(answered.substring(0, at))
        .setModelVersion(answered.substring(at + 1)).setId(request.getId());
    List<String> names = outputs.stream().map(InferOutputTensor.Builder::getName).toList();
    List<Integer> chosen = new ArrayList<>();
    if (request.getOutputsCount() == 0) {
      for (int i = 0; i < outputs.size(); i++) {
        chosen.add(i);
      }
    }
    for (int i = 0; i < request.getOutputsCount(); i++) {
      var asked = request.getOutputs(i);
      int index = names.indexOf(asked.getName());
      if (index < 0) {
        throw GraftException.invalidArgument("outputs[" + i + "].name", "UNKNOWN_OUTPUT", "this model has no output '"
            + asked.getName() + "'; it gives " + names);
      }
      if (!asked.getParametersMap().isEmpty()) {
        throw GraftException.invalidArgument("outputs[" + i + "].parameters", "UNKNOWN_PARAMETER",
            "output parameters are not used: " + asked.getParametersMap().keySet());
      }
      chosen.add(index);
    }
    for (int i : chosen) {
      out.addOutputs(outputs.get(i));
      if (raw != null) {
        out.addRawOutputContents(raw.get(i));
      }
    }
    return out.build();
  }

  /** {@code name@version}, or {@code name} (the latest) for an empty version. */
  static String ref(String name, String version) {
    if (name.isEmpty()) {
      throw GraftException.invalidArgument("model_name", "MISSING_FIELD", "model_name is required");
    }
    if (version.isEmpty()) {
      return name;
    }
    if (!version.matches("[1-9][0-9]{0,8}")) {
      throw GraftException.invalidArgument("model_version", "INVALID_VERSION", "model_version must be a Graft"
          + " version number (1, 2, ...) or empty for the latest, not '" + version + "'");
    }
    return name + "@" + version;
  }

  private Set<InputKind> kinds(ModelRecord model) {
    return runtime.domainOf(model).inputKinds();
  }

  private static TensorMetadata inputMetadata(String input, ModelRecord model) {
    return switch (input) {
      case OipTensors.SERIES -> {
        int steps = model.input().contextLength() > 0 ? model.input().contextLength() : -1;
        yield tensor(input, OipTensors.FP32, -1, steps);
      }
      default -> tensor(input, OipTensors.BYTES, -1);
    };
  }

  private static TensorMetadata tensor(String name, String datatype, long... shape) {
    TensorMetadata.Builder t = TensorMetadata.newBuilder().setName(name).setDatatype(datatype);
    for (long d : shape) {
      t.addShape(d);
    }
    return t.build();
  }

  private static float[] floats(FloatVector v) {
    float[] out = new float[v.getValuesCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.getValues(i);
    }
    return out;
  }

  private static void requireKnown(Map<String, InferParameter> parameters, Set<String> known) {
    for (String name : parameters.keySet()) {
      if (!known.contains(name)) {
        throw GraftException.invalidArgument("parameters." + name, "UNKNOWN_PARAMETER", "unknown parameter '" + name
            + "'; this model takes " + known.stream().sorted().toList());
      }
    }
  }

  private static String string(Map<String, InferParameter> parameters, String name) {
    return Optional.ofNullable(parameters.get(name)).map(p -> {
      if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
        throw wrongParameter(name, "a string");
      }
      return p.getStringParam();
    }).orElse("");
  }

  private static boolean bool(Map<String, InferParameter> parameters, String name) {
    return Optional.ofNullable(parameters.get(name)).map(p -> {
      if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
        throw wrongParameter(name, "a bool");
      }
      return p.getBoolParam();
    }).orElse(false);
  }

  private static long integer(Map<String, InferParameter> parameters, String name) {
    return Optional.ofNullable(parameters.get(name)).map(p -> {
      if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
        throw wrongParameter(name, "an int64");
      }
      return p.getInt64Param();
    }).orElse(0L);
  }

  private static GraftException wrongParameter(String name, String type) {
    return GraftException.invalidArgument("parameters." + name, "INVALID_PARAMETER", "parameter '" + name
        + "' must be " + type);
  }

  private static Pooling pooling(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "", "default" -> Pooling.POOLING_DEFAULT;
      case "mean" -> Pooling.POOLING_MEAN;
      case "cls" -> Pooling.POOLING_CLS;
      case "max" -> Pooling.POOLING_MAX;
      default -> throw GraftException.invalidArgument("parameters.pooling", "UNKNOWN_POOLING", "pooling '" + name
          + "' is not one of default, mean, cls, max");
    };
  }
}
