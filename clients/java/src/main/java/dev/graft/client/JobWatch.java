package dev.graft.client;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.WatchJobRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One asynchronous WatchJob call ({@link GraftClient#watchJobAsync}): hands each event to the
 * listener and completes the future with the final job. When the future completes first (the
 * caller cancelled it, or a timeout), the call is cancelled.
 */
final class JobWatch implements ClientResponseObserver<WatchJobRequest, JobEvent> {
  private final CompletableFuture<Job> result = new CompletableFuture<>();
  private final Consumer<JobEvent> onEvent;
  private final Supplier<Job> current;
  private volatile ClientCallStreamObserver<WatchJobRequest> call;
  private final WatchedJob watched = new WatchedJob();

  private JobWatch(Consumer<JobEvent> onEvent, Supplier<Job> current) {
    this.onEvent = onEvent;
    this.current = current;
  }

  /** Starts the call; {@code current} fetches the job when the stream ends before a terminal state. */
  static CompletableFuture<Job> start(TrainingServiceGrpc.TrainingServiceStub stub, String jobId,
      Consumer<JobEvent> onEvent, Supplier<Job> current) {
    if (jobId == null || jobId.isEmpty()) {
      throw new IllegalArgumentException("watchJobAsync: the job id is empty");
    }
    JobWatch watch = new JobWatch(java.util.Objects.requireNonNull(onEvent, "onEvent"), current);
    watch.result.whenComplete((job, error) -> watch.cancelCall("the watch's future completed first"));
    stub.watchJob(WatchJobRequest.newBuilder().setId(jobId).build(), watch);
    return watch.result;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchJobRequest> requestStream) {
    call = requestStream;
  }

  @Override
  public void onNext(JobEvent event) {
    if (result.isDone()) {
      return;
    }
    synchronized (watched) {
      watched.accept(event);
    }
    try {
      onEvent.accept(event);
    } catch (RuntimeException | Error e) {
      result.completeExceptionally(e);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t instanceof StatusRuntimeException s ? GraftException.from(s) : t);
  }

  @Override
  public void onCompleted() {
    synchronized (watched) {
      if (watched.ended()) {
        result.complete(watched.job());
        return;
      }
    }
    // The stream ended before a terminal state (a server going away): ask for the job as it is,
    // off the gRPC thread.
    CompletableFuture.supplyAsync(current).whenComplete((job, error) -> {
      if (error != null) {
        result.completeExceptionally(error.getCause() != null ? error.getCause() : error);
      } else {
        result.complete(job);
      }
    });
  }

  private void cancelCall(String why) {
    ClientCallStreamObserver<WatchJobRequest> c = call;
    if (c != null) {
      c.cancel(why, null); // a no-op once the call has ended
    }
  }
}
