"""The raw graft.v1 gRPC stubs (generated at build time), for what the wrapper does not cover."""

from graft_client._proto.graft.v1.datasets_pb2_grpc import DatasetServiceStub
from graft_client._proto.graft.v1.inference_pb2_grpc import InferenceServiceStub
from graft_client._proto.graft.v1.models_pb2_grpc import ModelServiceStub
from graft_client._proto.graft.v1.server_pb2_grpc import ServerServiceStub
from graft_client._proto.graft.v1.training_pb2_grpc import TrainingServiceStub

__all__ = [
    "DatasetServiceStub",
    "InferenceServiceStub",
    "ModelServiceStub",
    "ServerServiceStub",
    "TrainingServiceStub",
]
