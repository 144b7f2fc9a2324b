package dev.graft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobState;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.WatchJobRequest;
import dev.graft.api.v1.GetJobRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * watchJobAsync and train(TrainOptions) against an in-process TrainingService whose WatchJob
 * behaviour each test picks: a job that runs to SUCCEEDED, a NOT_FOUND, a stream that stays open
 * (to cancel), and one that ends early (the final job then comes from GetJob).
 */
class WatchJobAsyncTest {
  static final Metadata.Key<String> MODEL = Metadata.Key.of("x-graft-model", Metadata.ASCII_STRING_MARSHALLER);

  final AtomicReference<String> mode = new AtomicReference<>("succeed");
  final CountDownLatch serverSawCancel = new CountDownLatch(1);
  final AtomicReference<TrainRequest> trained = new AtomicReference<>();
  final AtomicReference<String> trainModelHeader = new AtomicReference<>();
  Server server;
  ManagedChannel channel;
  GraftClient graft;

  static Job job(JobState state, long step) {
    return Job.newBuilder().setId("j1").setOutputModel("out").setState(state)
        .setProgress(dev.graft.api.v1.Progress.newBuilder().setStep(step)).build();
  }

  static JobEvent event(JobState state, long step, String message) {
    return JobEvent.newBuilder().setJob(job(state, step)).setMessage(message).build();
  }

  @BeforeEach
  void start() throws IOException {
    var service = new TrainingServiceGrpc.TrainingServiceImplBase() {
      @Override
      public void train(TrainRequest request, StreamObserver<Job> response) {
        trained.set(request);
        response.onNext(job(JobState.JOB_STATE_QUEUED, 0));
        response.onCompleted();
      }

      @Override
      public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> events) {
        switch (mode.get()) {
          case "succeed" -> {
            events.onNext(event(JobState.JOB_STATE_QUEUED, 0, "queued"));
            events.onNext(event(JobState.JOB_STATE_RUNNING, 5, "epoch 1"));
            events.onNext(event(JobState.JOB_STATE_SUCCEEDED, 10, "done"));
            events.onCompleted();
          }
          case "not-found" -> events.onError(Status.NOT_FOUND.withDescription("no job " + request.getId()).asRuntimeException());
          case "hold" -> {
            Context.current().addListener(c -> serverSawCancel.countDown(), Runnable::run);
            events.onNext(event(JobState.JOB_STATE_RUNNING, 1, "running"));
          }
          case "early-end" -> {
            events.onNext(event(JobState.JOB_STATE_RUNNING, 1, "running"));
            events.onCompleted();
          }
          default -> throw new IllegalStateException(mode.get());
        }
      }

      @Override
      public void getJob(GetJobRequest request, StreamObserver<Job> response) {
        response.onNext(job(JobState.JOB_STATE_CANCELLED, 1));
        response.onCompleted();
      }
    };
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getBareMethodName().equals("Train")) {
          trainModelHeader.set(h.get(MODEL));
        }
        return next.startCall(call, h);
      }
    };
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, headers)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    graft = GraftClient.builder("unused").channel(channel).deadline(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    graft.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void completesWithTheFinalJobAfterEveryEvent() throws Exception {
    List<String> messages = new CopyOnWriteArrayList<>();
    Job end = graft.watchJobAsync("j1", e -> messages.add(e.getMessage())).get(5, TimeUnit.SECONDS);
    assertEquals(JobState.JOB_STATE_SUCCEEDED, end.getState());
    assertEquals(10, end.getProgress().getStep());
    assertEquals(List.of("queued", "epoch 1", "done"), messages);
  }

  @Test
  void failsWithAGraftExceptionWhenTheCallFails() {
    mode.set("not-found");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> graft.watchJobAsync("j1", ev -> {}).get(5, TimeUnit.SECONDS));
    GraftException g = assertInstanceOf(GraftException.class, e.getCause());
    assertEquals(Status.Code.NOT_FOUND, g.code());
  }

  @Test
  void cancellingTheFutureCancelsTheStream() throws Exception {
    mode.set("hold");
    CountDownLatch firstEvent = new CountDownLatch(1);
    CompletableFuture<Job> watch = graft.watchJobAsync("j1", e -> firstEvent.countDown());
    assertTrue(firstEvent.await(5, TimeUnit.SECONDS), "no event arrived");
    assertTrue(watch.cancel(true));
    assertTrue(serverSawCancel.await(5, TimeUnit.SECONDS), "the server's call was not cancelled");
    assertTrue(watch.isCancelled());
  }

  @Test
  void aListenerThatThrowsFailsTheFutureWithItsException() {
    IllegalStateException boom = new IllegalStateException("listener failed");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> graft.watchJobAsync("j1", ev -> { throw boom; }).get(5, TimeUnit.SECONDS));
    assertSame(boom, e.getCause());
  }

  @Test
  void aStreamEndingBeforeATerminalStateAsksForTheJob() throws Exception {
    mode.set("early-end");
    Job end = graft.watchJobAsync("j1", e -> {}).get(5, TimeUnit.SECONDS);
    assertEquals(JobState.JOB_STATE_CANCELLED, end.getState());
  }

  @Test
  void anEmptyJobIdIsRefusedAtOnce() {
    assertThrows(IllegalArgumentException.class, () -> graft.watchJobAsync("", e -> {}));
  }

  @Test
  void trainWithOptionsSendsTheRequestAndTheModelHeader() {
    Job queued = graft.train(TrainOptions.builder("minilm-l6", TrainOptions.Strategy.FEATURE_EXTRACTION, "reviews")
        .dataset("ds").epochs(3).build());
    assertEquals(JobState.JOB_STATE_QUEUED, queued.getState());
    assertEquals("feature-extraction", trained.get().getStrategy());
    assertEquals(3, trained.get().getHyperparameters().getEpochs());
    assertEquals("reviews", trainModelHeader.get());
  }
}
