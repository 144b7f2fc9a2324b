package dev.graft.server.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * An upload over HTTP as the client stream its gRPC method takes: for a method whose request is
 * {@code oneof {spec, chunk}} ({@code UploadDataset}, {@code ImportModel}), the spec (JSON) first,
 * then the body's bytes as {@code chunk.data}, 1 MiB at a time, read as they are sent.
 */
final class SpecAndBytes {
  static final int CHUNK = 1 << 20;

  private SpecAndBytes() {}

  /** Whether {@code method} streams a spec and then data chunks. */
  static boolean fits(GrpcBridge.Method method) {
    Descriptors.Descriptor in = method.proto().getInputType();
    Descriptors.FieldDescriptor chunk = in.findFieldByName("chunk");
    return method.clientStreams() && in.findFieldByName("spec") != null && chunk != null
        && chunk.getType() == Descriptors.FieldDescriptor.Type.MESSAGE
        && chunk.getMessageType().findFieldByName("data") != null;
  }

  /** The messages: {@code {spec}} from {@code specJson}, then {@code {chunk: {data}}} per 1 MiB of {@code body}. */
  static Iterator<byte[]> messages(GrpcBridge.Method method, String specJson, InputStream body)
      throws InvalidProtocolBufferException {
    Descriptors.Descriptor in = method.proto().getInputType();
    Descriptors.FieldDescriptor specField = in.findFieldByName("spec");
    Descriptors.FieldDescriptor chunkField = in.findFieldByName("chunk");
    Descriptors.FieldDescriptor dataField = chunkField.getMessageType().findFieldByName("data");
    DynamicMessage.Builder spec = DynamicMessage.newBuilder(specField.getMessageType());
    JsonFormat.parser().merge(specJson, spec);
    byte[] first = DynamicMessage.newBuilder(in).setField(specField, spec.build()).build().toByteArray();
    return new Iterator<>() {
      private byte[] next = first;

      @Override
      public boolean hasNext() {
        if (next == null) {
          next = read();
        }
        return next != null;
      }

      @Override
      public byte[] next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        byte[] out = next;
        next = null;
        return out;
      }

      private byte[] read() {
        try {
          byte[] bytes = body.readNBytes(CHUNK);
          if (bytes.length == 0) {
            return null;
          }
          DynamicMessage chunk = DynamicMessage.newBuilder(chunkField.getMessageType())
              .setField(dataField, ByteString.copyFrom(bytes)).build();
          return DynamicMessage.newBuilder(in).setField(chunkField, chunk).build().toByteArray();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }
}
