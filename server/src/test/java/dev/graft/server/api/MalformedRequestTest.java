package dev.graft.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.ModelServiceGrpc;
import dev.graft.client.GraftException;
import dev.graft.server.TestServer;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bytes that are not a request, and requests that echo huge input, through a real port. */
class MalformedRequestTest {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  @TempDir
  Path store;

  @Test
  void undecodableBytesAreInvalidArgumentWithoutAStackTraceAndTheServerServesOn() throws Exception {
    AtomicInteger severe = new AtomicInteger();
    Handler counter = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
          severe.incrementAndGet();
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(counter);
    try (TestServer server = TestServer.onPort(store)) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
      try {
        // field 1 (model) as length-delimited with a length that runs past the end
        byte[] garbage = {0x0a, (byte) 0xff, 0x01, 'x'};
        for (MethodDescriptor<?, ?> method : new MethodDescriptor<?, ?>[] {
            InferenceServiceGrpc.getExtractMethod(), ModelServiceGrpc.getGetModelMethod()}) {
          StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
              () -> ClientCalls.blockingUnaryCall(channel, raw(method), CallOptions.DEFAULT, garbage));
          assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
          assertEquals("MALFORMED_REQUEST", reason(e));
        }
        // a client-streaming upload: the spec's bytes are garbage
        ClientCall<byte[], byte[]> upload = channel.newCall(raw(dev.graft.api.v1.DatasetServiceGrpc
            .getUploadDatasetMethod()), CallOptions.DEFAULT);
        Iterator<byte[]> none = ClientCalls.blockingServerStreamingCall(upload, garbage);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, none::hasNext);
        assertEquals("MALFORMED_REQUEST", reason(e));
        assertEquals(0, severe.get(), "no SEVERE log line per malformed call");
        assertFalse(server.client().listModels().isEmpty(), "the server still serves");
      } finally {
        channel.shutdownNow();
      }
    } finally {
      root.removeHandler(counter);
    }
  }

  @Test
  void echoedInputIsCappedAndServerPathsAreNotShown() throws Exception {
    try (TestServer server = TestServer.onPort(store)) {
      // (a raw stub: the Java client would also put the name in its x-graft-model header)
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
      try {
        String huge = "m".repeat(1 << 20);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ModelServiceGrpc
            .newBlockingStub(channel).getModel(dev.graft.api.v1.GetModelRequest.newBuilder().setName(huge).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        assertEquals("INVALID_MODEL_NAME", reason(e));
        assertTrue(e.getStatus().getDescription().length() < 1100,
            "message of " + e.getStatus().getDescription().length() + " characters");
      } finally {
        channel.shutdownNow();
      }
      String root = store.toAbsolutePath().toString();
      GraftException missing = assertThrows(GraftException.class, () -> server.client().deleteDataset("ds-000000000000"));
      assertFalse(missing.getMessage().contains(root), missing.getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return ((MethodDescriptor<Object, Object>) method).toBuilder(BYTES, BYTES).build();
  }

  private static String reason(StatusRuntimeException e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst()
        .map(a -> {
          try {
            return a.unpack(ErrorInfo.class).getReason();
          } catch (com.google.protobuf.InvalidProtocolBufferException x) {
            throw new AssertionError(x);
          }
        }).orElse("");
  }
}
