package dev.graft.server.api;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.DataChunk;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetServiceGrpc;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.DeleteDatasetRequest;
import dev.graft.api.v1.DeleteDatasetResponse;
import dev.graft.api.v1.GetDatasetRequest;
import dev.graft.api.v1.ListDatasetsRequest;
import dev.graft.api.v1.ListDatasetsResponse;
import dev.graft.api.v1.UploadDatasetRequest;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.DatasetFormat;
import dev.graft.server.core.store.DatasetRecord;
import dev.graft.server.core.store.DatasetSpecRecord;
import dev.graft.server.core.store.DatasetStore;
import dev.graft.server.core.store.DatasetUpload;
import dev.graft.server.security.Principal;
import dev.graft.spi.GraftException;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.function.Function;
import javax.inject.Inject;

/** DatasetService: streamed uploads (spec first, then chunks), stored and validated at once. */
public final class DatasetServiceImpl extends DatasetServiceGrpc.DatasetServiceImplBase {
  private final DatasetStore datasets;
  private final PluginRegistry plugins;
  private final ResourceMapper resources;
  private final Calls calls;
  private final SpecThenChunks.Factory uploads;

  @Inject
  public DatasetServiceImpl(DatasetStore datasets, PluginRegistry plugins, ResourceMapper resources, Calls calls,
      SpecThenChunks.Factory uploads) {
    this.datasets = datasets;
    this.plugins = plugins;
    this.resources = resources;
    this.calls = calls;
    this.uploads = uploads;
  }

  @Override
  public StreamObserver<UploadDatasetRequest> uploadDataset(StreamObserver<Dataset> observer) {
    return uploads.open("UploadDataset", new SpecThenChunks.Reader<UploadDatasetRequest, Dataset>() {
      @Override
      public SpecThenChunks.Session<Dataset> beginIfSpec(UploadDatasetRequest request) {
        if (!request.hasSpec()) {
          return null;
        }
        DatasetUpload upload = datasets.begin(spec(request.getSpec()), CallPrincipal.current().name());
        return new SpecThenChunks.Session<>() {
          @Override
          public void write(String part, ByteString data) {
            upload.write(part, data.toByteArray(), 0, data.size());
          }

          @Override
          public Dataset commit() {
            return resources.dataset(upload.commit());
          }

          @Override
          public void close() {
            upload.close();
          }
        };
      }

      @Override
      public DataChunk chunk(UploadDatasetRequest request) {
        return request.hasChunk() ? request.getChunk() : null;
      }
    }, observer);
  }

  @Override
  public void getDataset(GetDatasetRequest request, StreamObserver<Dataset> observer) {
    calls.unary(observer, () -> resources.dataset(owned(datasets.get(requireId(request.getId())))));
  }

  @Override
  public void listDatasets(ListDatasetsRequest request, StreamObserver<ListDatasetsResponse> observer) {
    calls.unary(observer, () -> {
      Principal caller = CallPrincipal.current();
      var visible = datasets.list().stream().filter(d -> caller.canModify(d.createdBy())).toList();
      var all = Pages.filter(visible, request.getFilter(), Map.<String, Function<DatasetRecord, String>>of(
          "domain", DatasetRecord::domain, "name", DatasetRecord::name));
      var page = Pages.page(all, request.getPageSize(), request.getPageToken());
      return ListDatasetsResponse.newBuilder()
          .addAllDatasets(page.items().stream().map(resources::dataset).toList())
          .setNextPageToken(page.nextToken())
          .build();
    });
  }

  @Override
  public void deleteDataset(DeleteDatasetRequest request, StreamObserver<DeleteDatasetResponse> observer) {
    calls.unary(observer, () -> DeleteDatasetResponse.newBuilder()
        .setId(datasets.delete(owned(datasets.get(requireId(request.getId()))).id()).id()).build());
  }

  private DatasetSpecRecord spec(DatasetSpec s) {
    DatasetFormat format = switch (s.getFormat()) {
      case DATASET_FORMAT_JSONL -> DatasetFormat.JSONL;
      case DATASET_FORMAT_CSV -> DatasetFormat.CSV;
      case DATASET_FORMAT_IDX -> DatasetFormat.IDX;
      case DATASET_FORMAT_EXAMPLES -> DatasetFormat.EXAMPLES;
      case DATASET_FORMAT_ZIP -> DatasetFormat.ZIP;
      case DATASET_FORMAT_UNSPECIFIED, UNRECOGNIZED -> throw GraftException.invalidArgument("spec.format",
          "MISSING_FIELD", "spec.format is required (JSONL, CSV, IDX, EXAMPLES or ZIP)");
    };
    if (s.getDomain().isBlank()) {
      throw GraftException.invalidArgument("spec.domain", "MISSING_FIELD", "spec.domain is required (e.g. nlp)");
    }
    if (!plugins.domains().containsKey(s.getDomain())) {
      throw GraftException.invalidArgument("spec.domain", "UNKNOWN_DOMAIN",
          "no domain '" + s.getDomain() + "'; available: " + plugins.domains().keySet());
    }
    return new DatasetSpecRecord(s.getName(), s.getDomain(), format, ResourceMapper.task(s.getTask(), "spec.task"),
        s.getOptionsMap());
  }

  /** Datasets are private: only the principal that uploaded one (or an admin) may see or use it. */
  private static DatasetRecord owned(DatasetRecord dataset) {
    Principal caller = CallPrincipal.current();
    if (!caller.canModify(dataset.createdBy())) {
      throw GraftException.permissionDenied("NOT_OWNER",
          "dataset " + dataset.id() + " belongs to another principal; principal '" + caller.name() + "' may not use it");
    }
    return dataset;
  }

  private static String requireId(String id) {
    if (id.isBlank()) {
      throw GraftException.invalidArgument("id", "MISSING_FIELD", "id is required");
    }
    return id;
  }
}
