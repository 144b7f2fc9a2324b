"""Writes a protobuf FileDescriptorSet (a "protoset") for Triton's gRPC API, taken from the
descriptors compiled into the installed ``tritonclient`` wheel (grpc_service.proto and
model_config.proto, package ``inference``). Triton has no gRPC server reflection, so ghz needs this
(``ghz --protoset FILE``). Usage: protoset.py OUT_FILE
"""

import sys

from google.protobuf import descriptor_pb2
from tritonclient.grpc import model_config_pb2, service_pb2


def main(out):
    fds = descriptor_pb2.FileDescriptorSet()
    for mod in (model_config_pb2, service_pb2):  # dependencies first
        fdp = fds.file.add()
        mod.DESCRIPTOR.CopyToProto(fdp)
    with open(out, "wb") as f:
        f.write(fds.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
