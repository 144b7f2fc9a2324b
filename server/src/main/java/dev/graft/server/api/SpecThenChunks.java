package dev.graft.server.api;

import dev.graft.api.v1.DataChunk;
import dev.graft.spi.GraftException;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * The server side of a client stream whose first message is a spec and the rest are file chunks
 * (UploadDataset, ImportModel): starts a session on the spec, feeds it the chunks, commits it when
 * the client half-closes, and answers the result or the first failure — after which the session is
 * discarded and later messages are ignored. Not thread-safe (gRPC calls a stream's observer
 * serially).
 *
 * @param <Q> the request message
 * @param <A> the response message
 */
final class SpecThenChunks<Q, A> implements StreamObserver<Q> {

  /** One upload in progress. */
  interface Session<A> extends AutoCloseable {
    void write(String part, com.google.protobuf.ByteString data);

    /** Finishes and returns the response; the session is closed afterwards either way. */
    A commit();

    /** Discards whatever was not committed. */
    @Override
    void close();
  }

  /** How to read the request type: its spec (null if the message has none) and its chunk (null likewise). */
  interface Reader<Q, A> {
    Session<A> beginIfSpec(Q request);

    DataChunk chunk(Q request);
  }

  private final String rpc;
  private final Reader<Q, A> reader;
  private final StreamObserver<A> out;
  private final Function<RuntimeException, RuntimeException> toStatus;
  private Session<A> session;
  private boolean done;

  SpecThenChunks(String rpc, Reader<Q, A> reader, StreamObserver<A> out, StatusMapper statuses) {
    this.rpc = rpc;
    this.reader = reader;
    this.out = out;
    this.toStatus = statuses::toStatusException;
  }

  @Override
  public void onNext(Q request) {
    if (done) {
      return;
    }
    try {
      DataChunk chunk = reader.chunk(request);
      if (chunk != null) {
        if (session == null) {
          throw GraftException.invalidArgument("spec", "SPEC_MISSING", "the first message of " + rpc + " must carry the spec");
        }
        session.write(chunk.getPart(), chunk.getData());
        return;
      }
      if (session != null) {
        throw GraftException.invalidArgument("spec", "SPEC_REPEATED", "the spec must be sent once, first");
      }
      session = reader.beginIfSpec(request);
      if (session == null) {
        throw GraftException.invalidArgument("value", "EMPTY_MESSAGE", "a message must carry a spec or a chunk");
      }
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  @Override
  public void onError(Throwable t) {
    done = true;
    discard();
  }

  @Override
  public void onCompleted() {
    if (done) {
      return;
    }
    if (session == null) {
      fail(GraftException.invalidArgument("spec", "SPEC_MISSING", rpc + " received no spec"));
      return;
    }
    A result;
    try {
      result = session.commit();
    } catch (RuntimeException e) {
      fail(e);
      return;
    } finally {
      discard();
    }
    done = true;
    out.onNext(result);
    out.onCompleted();
  }

  private void fail(RuntimeException e) {
    done = true;
    discard();
    out.onError(toStatus.apply(e));
  }

  private void discard() {
    if (session != null) {
      session.close();
    }
  }
}
