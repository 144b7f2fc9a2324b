package dev.graft.server.api;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.rpc.ErrorInfo;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;

/**
 * Makes server reflection serve the types Graft puts in error details ({@code google.rpc.ErrorInfo},
 * {@code BadRequest}, …, all in {@code google/rpc/error_details.proto}), so that {@code grpcurl}
 * and other reflection clients decode a failed call's details. Reflection indexes the files of the
 * registered services and their imports; no Graft API message uses these types (they travel in
 * {@code grpc-status-details-bin}), so this registers {@code graft.v1.ErrorDetailTypes}, a service
 * without methods whose file imports {@code error_details.proto}.
 */
public final class ErrorDetailTypes {
  static final String SERVICE = "graft.v1.ErrorDetailTypes";

  private ErrorDetailTypes() {}

  /** The method-less service definition to add beside the reflection service. */
  public static ServerServiceDefinition definition() {
    Descriptors.FileDescriptor details = ErrorInfo.getDescriptor().getFile();
    FileDescriptorProto file = FileDescriptorProto.newBuilder()
        .setName("graft/v1/error_detail_types.proto").setPackage("graft.v1").setSyntax("proto3")
        .addDependency(details.getName())
        .addService(ServiceDescriptorProto.newBuilder().setName("ErrorDetailTypes"))
        .build();
    Descriptors.FileDescriptor built;
    try {
      built = Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[] {details});
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalStateException("cannot describe the error detail types", e);
    }
    ProtoFileDescriptorSupplier schema = () -> built;
    return ServerServiceDefinition.builder(ServiceDescriptor.newBuilder(SERVICE).setSchemaDescriptor(schema).build())
        .build();
  }
}
