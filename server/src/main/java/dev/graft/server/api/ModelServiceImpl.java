package dev.graft.server.api;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataChunk;
import dev.graft.api.v1.DeleteModelAliasRequest;
import dev.graft.api.v1.DeleteModelAliasResponse;
import dev.graft.api.v1.DeleteModelRequest;
import dev.graft.api.v1.DeleteModelResponse;
import dev.graft.api.v1.ExportModelRequest;
import dev.graft.api.v1.ExportModelResponse;
import dev.graft.api.v1.GetModelRequest;
import dev.graft.api.v1.ImportModelRequest;
import dev.graft.api.v1.ListModelsRequest;
import dev.graft.api.v1.ListModelsResponse;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.SetModelAliasRequest;
import dev.graft.server.core.store.ModelAliases;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.engine.ModelImporter;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.security.Principal;
import dev.graft.server.security.Role;
import dev.graft.spi.GraftException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.inject.Inject;

/** ModelService: base and trained models, their import, export and lineage. */
public final class ModelServiceImpl extends ModelServiceGrpc.ModelServiceImplBase {
  private static final System.Logger LOG = System.getLogger(ModelServiceImpl.class.getName());
  private static final int CHUNK = 1 << 20;

  private final ModelStore models;
  private final ModelImporter importer;
  private final ModelRuntime runtime;
  private final ResourceMapper resources;
  private final Calls calls;
  private final SpecThenChunks.Factory uploads;

  @Inject
  public ModelServiceImpl(ModelStore models, ModelImporter importer, ModelRuntime runtime,
      ResourceMapper resources, Calls calls, SpecThenChunks.Factory uploads) {
    this.models = models;
    this.importer = importer;
    this.runtime = runtime;
    this.resources = resources;
    this.calls = calls;
    this.uploads = uploads;
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<Model> observer) {
    calls.unary(observer, () -> withAliases(models.get(requireName(request.getName()))));
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    calls.unary(observer, () -> {
      var all = Pages.filter(models.list(), request.getFilter(), Map.<String, Function<ModelRecord, String>>of(
          "kind", m -> m.kind().name(),
          "domain", ModelRecord::domain,
          "base_model", ModelRecord::baseModel,
          "name", ModelRecord::name,
          "strategy", ModelRecord::strategy));
      var page = Pages.page(all, request.getPageSize(), request.getPageToken());
      Map<String, Map<String, Integer>> aliases = new HashMap<>();
      return ListModelsResponse.newBuilder()
          .addAllModels(page.items().stream().map(m -> resources.model(m).toBuilder()
              .addAllAliases(ModelAliases.naming(aliases.computeIfAbsent(m.name(), models.aliases()::of), m.version()))
              .build()).toList())
          .setNextPageToken(page.nextToken())
          .build();
    });
  }

  @Override
  public void deleteModel(DeleteModelRequest request, StreamObserver<DeleteModelResponse> observer) {
    calls.unary(observer, () -> {
      ModelRecord model = models.get(requireName(request.getName()));
      Principal caller = CallPrincipal.current();
      if (model.kind() == ModelKind.BASE && caller.role() != Role.ADMIN) {
        throw GraftException.permissionDenied("ROLE_REQUIRED",
            "deleting base model " + model.ref() + " needs the admin role; principal '" + caller.name() + "' is "
                + caller.role().label());
      }
      if (!caller.canModify(model.createdBy())) {
        throw GraftException.permissionDenied("NOT_OWNER", "model " + model.ref() + " belongs to '"
            + model.createdBy() + "'; principal '" + caller.name() + "' may not delete it");
      }
      if (model.kind() == ModelKind.BASE) {
        List<String> dependents = models.list().stream()
            .filter(m -> m.baseModel().equals(model.ref())).map(ModelRecord::ref).toList();
        if (!dependents.isEmpty()) {
          throw GraftException.failedPrecondition("MODEL_IN_USE",
              "base model " + model.ref() + " is the base of " + dependents + "; delete those first");
        }
      }
      List<String> aliases = models.aliases().naming(model.name(), model.version());
      if (!aliases.isEmpty()) {
        throw GraftException.failedPrecondition("MODEL_ALIASED", "model " + model.ref() + " is named by "
            + aliases.stream().map(a -> model.name() + ":" + a).toList() + "; move or delete those aliases first");
      }
      ModelRecord deleted = models.delete(model.ref());
      runtime.evict(deleted.ref());
      return DeleteModelResponse.newBuilder().setName(deleted.ref()).build();
    });
  }

  @Override
  public StreamObserver<ImportModelRequest> importModel(StreamObserver<Model> observer) {
    return uploads.open("ImportModel", new SpecThenChunks.Reader<ImportModelRequest, Model>() {
      @Override
      public SpecThenChunks.Session<Model> beginIfSpec(ImportModelRequest request) {
        if (!request.hasSpec()) {
          return null;
        }
        ModelImporter.Import current = importer.begin(spec(request.getSpec()), CallPrincipal.current().name());
        return new SpecThenChunks.Session<>() {
          @Override
          public void write(String part, ByteString data) {
            current.write(part, data.toByteArray());
          }

          @Override
          public Model commit() {
            return resources.model(current.commit());
          }

          @Override
          public void close() {
            current.close();
          }
        };
      }

      @Override
      public DataChunk chunk(ImportModelRequest request) {
        return request.hasChunk() ? request.getChunk() : null;
      }
    }, observer);
  }

  @Override
  public void exportModel(ExportModelRequest request, StreamObserver<ExportModelResponse> observer) {
    try {
      ModelRecord model = models.get(requireName(request.getName()));
      observer.onNext(ExportModelResponse.newBuilder().setModel(resources.model(model)).build());
      Path dir = models.directory(model);
      List<Path> files;
      try (Stream<Path> list = Files.list(dir)) {
        files = list.filter(Files::isRegularFile).sorted().toList();
      }
      byte[] buffer = new byte[CHUNK];
      for (Path file : files) {
        try (InputStream in = Files.newInputStream(file)) {
          int n;
          while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
            observer.onNext(ExportModelResponse.newBuilder().setChunk(DataChunk.newBuilder()
                .setPart(file.getFileName().toString()).setData(ByteString.copyFrom(buffer, 0, n))).build());
          }
        }
      }
      observer.onCompleted();
    } catch (IOException e) {
      observer.onError(calls.statuses().toStatusException(
          GraftException.internal("STORE_IO", "cannot read the model's files: " + e.getMessage(), e)));
    } catch (RuntimeException e) {
      observer.onError(calls.statuses().toStatusException(e));
    }
  }

  private static ModelImporter.Spec spec(ModelSpec s) {
    var in = s.getInput();
    return new ModelImporter.Spec(s.getName(), s.getDomain(), s.getFormat(),
        new ModelInputSpec(in.getShapeList(), in.getMaxTokens(), in.getContextLength(), in.getHorizon(),
            in.getMeanList(), in.getStdList()),
        s.getPropertiesMap());
  }

  @Override
  public void setModelAlias(SetModelAliasRequest request, StreamObserver<Model> observer) {
    calls.unary(observer, () -> {
      String name = requireName(request.getName());
      ModelStore.validateName(name, "name");
      ModelAliases.validate(request.getAlias(), "alias");
      if (request.getVersion() <= 0) {
        throw GraftException.invalidArgument("version", "MISSING_FIELD",
            "version is required: the version of " + name + " the alias names (see ListModels)");
      }
      ModelRecord target = models.get(name + "@" + request.getVersion());
      requireMayModify(target);
      int previous = models.aliases().set(name, request.getAlias(), target.version());
      LOG.log(System.Logger.Level.INFO, "alias {0}:{1} names {2}{3} (set by {4})", name, request.getAlias(),
          target.ref(), previous > 0 && previous != target.version() ? ", moved from " + name + "@" + previous : "",
          CallPrincipal.current().name());
      return withAliases(target);
    });
  }

  @Override
  public void deleteModelAlias(DeleteModelAliasRequest request, StreamObserver<DeleteModelAliasResponse> observer) {
    calls.unary(observer, () -> {
      String name = requireName(request.getName());
      ModelStore.validateName(name, "name");
      ModelAliases.validate(request.getAlias(), "alias");
      String ref = name + ":" + request.getAlias();
      ModelRecord target = models.find(ref).orElseThrow(() -> GraftException.notFound("ALIAS_NOT_FOUND",
          "model alias " + ref + " does not exist (aliases of " + name + ": "
              + models.aliases().of(name).keySet() + ")"));
      requireMayModify(target);
      models.aliases().delete(name, request.getAlias());
      LOG.log(System.Logger.Level.INFO, "alias {0} deleted (it named {1}; by {2})", ref, target.ref(),
          CallPrincipal.current().name());
      return DeleteModelAliasResponse.newBuilder().setName(name).setAlias(request.getAlias()).build();
    });
  }

  private Model withAliases(ModelRecord record) {
    return resources.model(record).toBuilder()
        .addAllAliases(models.aliases().naming(record.name(), record.version())).build();
  }

  private static void requireMayModify(ModelRecord model) {
    Principal caller = CallPrincipal.current();
    if (!caller.canModify(model.createdBy())) {
      throw GraftException.permissionDenied("NOT_OWNER", "model " + model.ref() + " belongs to '"
          + model.createdBy() + "'; principal '" + caller.name() + "' may not alias it");
    }
  }

  private static String requireName(String name) {
    if (name.isBlank()) {
      throw GraftException.invalidArgument("name", "MISSING_FIELD", "name is required (name, name@version or name:alias)");
    }
    return name;
  }
}
