package dev.graft.client;

import com.google.protobuf.ByteString;
import dev.graft.api.v1.CancelJobRequest;
import dev.graft.api.v1.DataChunk;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.Dataset;
import dev.graft.api.v1.DatasetFormat;
import dev.graft.api.v1.DatasetServiceGrpc;
import dev.graft.api.v1.DatasetSpec;
import dev.graft.api.v1.DeleteDatasetRequest;
import dev.graft.api.v1.DeleteModelAliasRequest;
import dev.graft.api.v1.DeleteModelRequest;
import dev.graft.api.v1.EstimateTransferRequest;
import dev.graft.api.v1.EstimateTransferResponse;
import dev.graft.api.v1.Example;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.ExtractResponse;
import dev.graft.api.v1.GetDatasetRequest;
import dev.graft.api.v1.GetJobRequest;
import dev.graft.api.v1.GetModelRequest;
import dev.graft.api.v1.GetServerInfoRequest;
import dev.graft.api.v1.ImportModelRequest;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.ListDatasetsRequest;
import dev.graft.api.v1.ListJobsRequest;
import dev.graft.api.v1.ListModelsRequest;
import dev.graft.api.v1.Model;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.api.v1.ModelSpec;
import dev.graft.api.v1.PredictRequest;
import dev.graft.api.v1.PredictResponse;
import dev.graft.api.v1.ServerInfo;
import dev.graft.api.v1.ServerServiceGrpc;
import dev.graft.api.v1.SetModelAliasRequest;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.UploadDatasetRequest;
import dev.graft.api.v1.WatchJobRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A Graft client: datasets, training jobs, inference, models and server info, with the
 * {@code x-graft-model} header set on every call about a model, a deadline on every unary call,
 * and failures as {@link GraftException}. Build one with {@link GraftClientBuilder}; thread-safe;
 * close it to release its channel.
 */
public final class GraftClient implements AutoCloseable {
  static final Metadata.Key<String> MODEL_HEADER = Metadata.Key.of("x-graft-model", Metadata.ASCII_STRING_MARSHALLER);
  private static final int CHUNK = 1 << 20;

  private final ManagedChannel owned;
  private final Channel channel;
  private final Duration deadline;

  GraftClient(ManagedChannel owned, Channel channel, Duration deadline) {
    this.owned = owned;
    this.channel = channel;
    this.deadline = deadline;
  }

  public static GraftClientBuilder builder(String target) {
    return new GraftClientBuilder(target);
  }

  // ---- datasets

  /** Uploads a file (streamed in 1 MiB chunks) as a dataset. */
  public Dataset uploadDataset(String name, String domain, DatasetFormat format, Path file) {
    return uploadDataset(DatasetSpec.newBuilder().setName(name).setDomain(domain).setFormat(format).build(),
        List.of(new Part("", file)));
  }

  /** A named file of a multi-part upload (IDX images + labels, a model and its tokenizer). */
  public record Part(String name, Path file) {}

  /** Uploads a dataset made of parts, each streamed in chunks. */
  public Dataset uploadDataset(DatasetSpec spec, List<Part> parts) {
    return upload(spec, out -> sendParts(parts, (name, data) -> out.onNext(chunk(name, data))));
  }

  /**
   * Imports a base model (ImportModel): the spec, then each part streamed in chunks — part
   * {@code ""} is the main file (an ONNX, TorchScript or state-dict file, a model.json), others
   * are named as the format expects ({@code tokenizer.json}, weight shards).
   */
  public Model importModel(ModelSpec spec, List<Part> parts) {
    CompletableFuture<Model> result = new CompletableFuture<>();
    StreamObserver<ImportModelRequest> out = withModel(ModelServiceGrpc.newStub(channel),
        spec.getName()).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .importModel(observer(result));
    return stream(out, result, ImportModelRequest.newBuilder().setSpec(spec).build(),
        o -> sendParts(parts, (name, data) -> o.onNext(ImportModelRequest.newBuilder()
            .setChunk(DataChunk.newBuilder().setPart(name).setData(data)).build())));
  }

  private static void sendParts(List<Part> parts, BiConsumer<String, ByteString> send) {
    byte[] buffer = new byte[CHUNK];
    for (Part part : parts) {
      try (InputStream in = Files.newInputStream(part.file())) {
        int n;
        while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
          send.accept(part.name(), ByteString.copyFrom(buffer, 0, n));
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Uploads in-memory examples as a dataset (format EXAMPLES). */
  public Dataset uploadExamples(String name, String domain, List<Example> examples) {
    return upload(DatasetSpec.newBuilder().setName(name).setDomain(domain).setFormat(DatasetFormat.DATASET_FORMAT_EXAMPLES)
        .build(), out -> {
          ByteString.Output buffer = ByteString.newOutput();
          for (Example e : examples) {
            try {
              e.writeDelimitedTo(buffer);
            } catch (IOException impossible) {
              throw new java.io.UncheckedIOException(impossible);
            }
            if (buffer.size() >= CHUNK) {
              out.onNext(chunk("", buffer.toByteString()));
              buffer.reset();
            }
          }
          if (buffer.size() > 0) {
            out.onNext(chunk("", buffer.toByteString()));
          }
        });
  }

  private Dataset upload(DatasetSpec spec, Consumer<StreamObserver<UploadDatasetRequest>> body) {
    CompletableFuture<Dataset> result = new CompletableFuture<>();
    StreamObserver<UploadDatasetRequest> out = DatasetServiceGrpc.newStub(channel).withDeadlineAfter(
        deadline.toMillis(), TimeUnit.MILLISECONDS).uploadDataset(observer(result));
    return stream(out, result, UploadDatasetRequest.newBuilder().setSpec(spec).build(), body);
  }

  /** A client-streaming call: {@code first}, then what {@code body} sends, then the result. */
  private static <Q, R> R stream(StreamObserver<Q> out, CompletableFuture<R> result, Q first,
      Consumer<StreamObserver<Q>> body) {
    try {
      out.onNext(first);
      body.accept(out);
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(e);
      if (!result.isDone()) {
        throw e;
      }
    }
    return await(result);
  }

  public Dataset getDataset(String idOrName) {
    return call(() -> unary(DatasetServiceGrpc.newBlockingStub(channel)).getDataset(
        GetDatasetRequest.newBuilder().setId(idOrName).build()));
  }

  public List<Dataset> listDatasets() {
    return call(() -> unary(DatasetServiceGrpc.newBlockingStub(channel))
        .listDatasets(ListDatasetsRequest.newBuilder().setPageSize(1000).build()).getDatasetsList());
  }

  public void deleteDataset(String idOrName) {
    call(() -> unary(DatasetServiceGrpc.newBlockingStub(channel)).deleteDataset(
        DeleteDatasetRequest.newBuilder().setId(idOrName).build()));
  }

  // ---- training

  /** Starts a job; returns it at once (QUEUED). Sets {@code x-graft-model} to the output model. */
  public Job train(TrainOptions options) {
    return train(options.toRequest());
  }

  /**
   * Ranks base models for labelled data by how well their frozen features fit it (LogME, plus a
   * linear probe), best first, without training anything. The server computes features (or reads
   * its feature cache), so this call may take minutes: it runs under {@code deadline}, not the
   * client's default deadline.
   */
  public EstimateTransferResponse estimateTransfer(EstimateTransferRequest request, Duration deadline) {
    return call(() -> TrainingServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).estimateTransfer(request));
  }

  /** {@link #estimateTransfer(EstimateTransferRequest, Duration)} for a dataset and bases (none = every base of its domain), within 10 minutes. */
  public EstimateTransferResponse estimateTransfer(String dataset, List<String> baseModels) {
    return estimateTransfer(EstimateTransferRequest.newBuilder()
        .setData(DataSource.newBuilder().setDataset(dataset)).addAllBaseModels(baseModels).build(), Duration.ofMinutes(10));
  }

  /** Starts a job from a raw request; returns it at once (QUEUED). {@link #train(TrainOptions)} is the typed form. */
  public Job train(TrainRequest request) {
    return call(() -> unary(withModel(TrainingServiceGrpc.newBlockingStub(channel), request.getOutputModel()))
        .train(request));
  }

  /** The job's events: its current state first, then every change until it ends. Blocking iterator. */
  public Iterator<JobEvent> watch(String jobId) {
    Iterator<JobEvent> events = TrainingServiceGrpc.newBlockingStub(channel)
        .watchJob(WatchJobRequest.newBuilder().setId(jobId).build());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return call(events::hasNext);
      }

      @Override
      public JobEvent next() {
        return call(events::next);
      }
    };
  }

  /**
   * Watches a job without blocking: {@code onEvent} gets each event (the current state first,
   * then every change) on a gRPC thread, and the future completes with the job as it ended
   * (SUCCEEDED, FAILED or CANCELLED). It fails with a {@link GraftException} when the call
   * fails, or with what {@code onEvent} threw. Completing the future yourself ({@code cancel},
   * {@code orTimeout}, {@code completeExceptionally}) cancels the stream; the job itself goes
   * on (that is {@link #cancelJob}).
   *
   * <pre>{@code
   * CompletableFuture<Job> done = graft.watchJobAsync(job.getId(), e -> log(e.getMessage()));
   * done.orTimeout(10, TimeUnit.MINUTES).thenAccept(j -> System.out.println(j.getState()));
   * }</pre>
   */
  public CompletableFuture<Job> watchJobAsync(String jobId, Consumer<JobEvent> onEvent) {
    return JobWatch.start(TrainingServiceGrpc.newStub(channel), jobId, onEvent, () -> getJob(jobId));
  }

  /** Watches a job until it ends (or {@code timeout} passes) and returns its final state, with its whole history. */
  public Job awaitJob(String jobId, Duration timeout, Consumer<JobEvent> onEvent) {
    Iterator<JobEvent> events = TrainingServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .watchJob(WatchJobRequest.newBuilder().setId(jobId).build());
    WatchedJob watched = new WatchedJob();
    try {
      while (events.hasNext()) {
        JobEvent e = events.next();
        onEvent.accept(e);
        watched.accept(e);
      }
    } catch (StatusRuntimeException e) {
      throw GraftException.from(e);
    }
    return watched.ended() ? watched.job() : getJob(jobId);
  }

  public Job getJob(String id) {
    return call(() -> unary(TrainingServiceGrpc.newBlockingStub(channel)).getJob(GetJobRequest.newBuilder().setId(id).build()));
  }

  public List<Job> listJobs() {
    return call(() -> unary(TrainingServiceGrpc.newBlockingStub(channel))
        .listJobs(ListJobsRequest.newBuilder().setPageSize(1000).build()).getJobsList());
  }

  public Job cancelJob(String id) {
    return call(() -> unary(TrainingServiceGrpc.newBlockingStub(channel))
        .cancelJob(CancelJobRequest.newBuilder().setId(id).build()));
  }

  public static boolean isTerminal(JobState state) {
    return state == JobState.JOB_STATE_SUCCEEDED || state == JobState.JOB_STATE_FAILED
        || state == JobState.JOB_STATE_CANCELLED;
  }

  // ---- inference

  public PredictResponse predict(PredictRequest request) {
    return call(() -> unary(withModel(InferenceServiceGrpc.newBlockingStub(channel), request.getModel()))
        .predict(request));
  }

  public PredictResponse predict(String model, List<Input> inputs, int topK) {
    return predict(PredictRequest.newBuilder().setModel(model).addAllInputs(inputs).setTopK(topK).build());
  }

  public ExtractResponse extract(ExtractRequest request) {
    return call(() -> unary(withModel(InferenceServiceGrpc.newBlockingStub(channel), request.getModel()))
        .extract(request));
  }

  /** Feature vectors as float arrays, one per input. */
  public List<float[]> extractVectors(ExtractRequest request) {
    ExtractResponse response = extract(request);
    List<float[]> out = new ArrayList<>(response.getFeaturesCount());
    response.getFeaturesList().forEach(f -> {
      float[] v = new float[f.getValuesCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = f.getValues(i);
      }
      out.add(v);
    });
    return out;
  }

  // ---- models and server

  public Model getModel(String name) {
    return call(() -> unary(withModel(ModelServiceGrpc.newBlockingStub(channel), name))
        .getModel(GetModelRequest.newBuilder().setName(name).build()));
  }

  public List<Model> listModels() {
    return call(() -> unary(ModelServiceGrpc.newBlockingStub(channel))
        .listModels(ListModelsRequest.newBuilder().setPageSize(1000).build()).getModelsList());
  }

  public void deleteModel(String name) {
    call(() -> unary(withModel(ModelServiceGrpc.newBlockingStub(channel), name))
        .deleteModel(DeleteModelRequest.newBuilder().setName(name).build()));
  }

  /**
   * Points {@code name:alias} at {@code name@version}, creating or moving it atomically; from then
   * on {@code "name:alias"} names that version wherever a model is named (predict, extract,
   * getModel). Returns that version, with its aliases.
   */
  public Model setModelAlias(String name, String alias, int version) {
    return call(() -> unary(withModel(ModelServiceGrpc.newBlockingStub(channel), name))
        .setModelAlias(SetModelAliasRequest.newBuilder().setName(name).setAlias(alias).setVersion(version).build()));
  }

  /** Removes {@code name:alias}; the version it named stays. */
  public void deleteModelAlias(String name, String alias) {
    call(() -> unary(withModel(ModelServiceGrpc.newBlockingStub(channel), name))
        .deleteModelAlias(DeleteModelAliasRequest.newBuilder().setName(name).setAlias(alias).build()));
  }

  public ServerInfo serverInfo() {
    return call(() -> unary(ServerServiceGrpc.newBlockingStub(channel))
        .getServerInfo(GetServerInfoRequest.getDefaultInstance()));
  }

  /** The channel, for calls this wrapper does not cover. */
  public Channel channel() {
    return channel;
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.shutdown();
      try {
        if (!owned.awaitTermination(5, TimeUnit.SECONDS)) {
          owned.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        owned.shutdownNow();
      }
    }
  }

  // ---- plumbing

  private <S extends AbstractStub<S>> S unary(S stub) {
    return stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static <S extends AbstractStub<S>> S withModel(S stub, String model) {
    if (model == null || model.isEmpty()) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(MODEL_HEADER, model);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static <T> T call(Supplier<T> body) {
    try {
      return body.get();
    } catch (StatusRuntimeException e) {
      throw GraftException.from(e);
    }
  }

  private static UploadDatasetRequest chunk(String part, ByteString data) {
    return UploadDatasetRequest.newBuilder().setChunk(DataChunk.newBuilder().setPart(part).setData(data)).build();
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        if (!result.isDone()) {
          result.completeExceptionally(new IllegalStateException("the server sent no result"));
        }
      }
    };
  }

  private static <T> T await(CompletableFuture<T> result) {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw GraftException.from(s);
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  static Channel intercepted(Channel channel, List<io.grpc.ClientInterceptor> interceptors) {
    return ClientInterceptors.intercept(channel, interceptors);
  }
}
