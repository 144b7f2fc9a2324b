package dev.graft.server.api;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import javax.inject.Inject;
import javax.inject.Singleton;

/** Runs a unary handler body and answers with its result or its failure, mapped to a status. */
@Singleton
public final class Calls {
  private final StatusMapper statuses;

  @Inject
  public Calls(StatusMapper statuses) {
    this.statuses = statuses;
  }

  public <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
    T result;
    try {
      result = body.get();
    } catch (RuntimeException | LinkageError e) {
      observer.onError(statuses.toStatusException(e));
      return;
    }
    observer.onNext(result);
    observer.onCompleted();
  }

  public StatusMapper statuses() {
    return statuses;
  }
}
