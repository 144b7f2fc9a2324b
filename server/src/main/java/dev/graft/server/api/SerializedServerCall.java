package dev.graft.server.api;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * A server call whose outbound operations run one at a time. {@link ServerCall} is not
 * thread-safe, yet a call may be written from two threads: a handler streaming from its own
 * threads (WatchJob sends from job threads) and {@link ExceptionGuardInterceptor} closing it from
 * a transport thread. Every write holds this object's lock, and a call closed once stays closed:
 * later closes are ignored instead of failing.
 */
final class SerializedServerCall<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
  private boolean closed;

  SerializedServerCall(ServerCall<Q, A> delegate) {
    super(delegate);
  }

  @Override
  public synchronized void sendHeaders(Metadata headers) {
    super.sendHeaders(headers);
  }

  @Override
  public synchronized void sendMessage(A message) {
    super.sendMessage(message);
  }

  @Override
  public synchronized void request(int numMessages) {
    super.request(numMessages);
  }

  @Override
  public synchronized void setMessageCompression(boolean enabled) {
    super.setMessageCompression(enabled);
  }

  @Override
  public synchronized void setCompression(String compressor) {
    super.setCompression(compressor);
  }

  @Override
  public synchronized void close(Status status, Metadata trailers) {
    if (closed) {
      return;
    }
    closed = true;
    super.close(status, trailers);
  }

  /** Closes the call unless it has been closed; true when this call closed it. */
  synchronized boolean closeIfOpen(Status status, Metadata trailers) {
    if (closed) {
      return false;
    }
    close(status, trailers);
    return true;
  }
}
