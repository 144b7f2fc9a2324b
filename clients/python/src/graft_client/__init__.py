"""Python client for Graft, the gRPC server for transfer learning.

>>> from graft_client import Client
>>> with Client("localhost:50051") as graft:
...     ds = graft.upload_dataset("reviews.jsonl", name="reviews", domain="nlp")
...     job = graft.train("minilm-l6", "feature-extraction", "sentiment", dataset=ds.name, epochs=30)
...     job = graft.wait(job)
...     graft.predict("sentiment", ["what a lovely day"]).labels
['positive']

Results are frozen dataclasses (``Job``, ``Model``, ``Dataset``, ``ServerInfo``, ``Predictions``,
``Features``) with string enums, ``datetime``/``timedelta`` and ``.to_dict()``; ``.proto`` is the
message each came from. ``AsyncClient`` has the same methods on asyncio.
"""

from graft_client._channel import IDEMPOTENT_METHODS, MODEL_HEADER, RetryPolicy, service_config
from graft_client.client import DEFAULT, DEFAULT_TARGET, TERMINAL_STATES, Client, is_terminal, state_name
from graft_client.errors import FieldViolation, GraftError
from graft_client.aio import AsyncClient
from graft_client.resources import (
    ConfusionMatrix,
    Dataset,
    DatasetFormat,
    Job,
    JobError,
    JobEvent,
    JobState,
    Metric,
    Model,
    ModelKind,
    Progress,
    ServerInfo,
    Task,
)
from graft_client.results import ClassScore, Features, Prediction, Predictions

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "Client",
    "ConfusionMatrix",
    "Dataset",
    "DatasetFormat",
    "Features",
    "Job",
    "JobError",
    "JobEvent",
    "JobState",
    "Metric",
    "Model",
    "ModelKind",
    "Progress",
    "ServerInfo",
    "Task",
    "ClassScore",
    "DEFAULT",
    "DEFAULT_TARGET",
    "FieldViolation",
    "GraftError",
    "IDEMPOTENT_METHODS",
    "MODEL_HEADER",
    "Prediction",
    "Predictions",
    "RetryPolicy",
    "TERMINAL_STATES",
    "is_terminal",
    "service_config",
    "state_name",
    "__version__",
]
