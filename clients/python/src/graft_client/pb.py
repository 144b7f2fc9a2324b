"""The graft.v1 protobuf messages and enums, generated at build time from proto/.

``from graft_client import pb`` then ``pb.TrainRequest``, ``pb.JOB_STATE_SUCCEEDED``, ... The gRPC
stubs are in :mod:`graft_client.stubs`; most code needs neither, only :class:`graft_client.Client`.
"""

from graft_client._proto.graft.v1.common_pb2 import *  # noqa: F401,F403
from graft_client._proto.graft.v1.datasets_pb2 import *  # noqa: F401,F403
from graft_client._proto.graft.v1.inference_pb2 import *  # noqa: F401,F403
from graft_client._proto.graft.v1.models_pb2 import *  # noqa: F401,F403
from graft_client._proto.graft.v1.server_pb2 import *  # noqa: F401,F403
from graft_client._proto.graft.v1.training_pb2 import *  # noqa: F401,F403
