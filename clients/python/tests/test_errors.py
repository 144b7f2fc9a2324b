from __future__ import annotations

import grpc
import pytest

from conftest import FakeRpcError, failed_call, rich_status
from graft_client import FieldViolation, GraftError
from graft_client.errors import from_rpc_error


def test_reason_and_field_violations_come_from_the_status_details_trailer() -> None:
    error = from_rpc_error(failed_call(grpc.StatusCode.INVALID_ARGUMENT, "bad inputs", "EMPTY_INPUTS",
                                       [("inputs", "at least one input"), ("top_k", "must be >= 0")]))
    assert isinstance(error, Exception)
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "EMPTY_INPUTS"
    assert error.domain == "graft.dev"
    assert error.metadata == {"model": "m"}
    assert error.message == "bad inputs"
    assert error.field_violations == [FieldViolation("inputs", "at least one input"),
                                      FieldViolation("top_k", "must be >= 0")]
    assert str(error) == "INVALID_ARGUMENT EMPTY_INPUTS: bad inputs (inputs: at least one input; top_k: must be >= 0)"


def test_not_found_reason() -> None:
    error = from_rpc_error(failed_call(grpc.StatusCode.NOT_FOUND, "no model x", "MODEL_NOT_FOUND"))
    assert (error.code, error.reason, error.field_violations) == (grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND", [])


def test_a_trailer_that_disagrees_with_the_call_still_gives_its_details() -> None:
    status = rich_status(grpc.StatusCode.NOT_FOUND, "original", "MODEL_NOT_FOUND")
    call = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "rewritten by a proxy",
                        (("grpc-status-details-bin", status.SerializeToString()),))
    error = from_rpc_error(call)
    assert error.code is grpc.StatusCode.UNAVAILABLE
    assert error.reason == "MODEL_NOT_FOUND"
    assert error.message == "rewritten by a proxy"


def test_a_plain_status_has_no_reason() -> None:
    error = from_rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused"))
    assert error.code is grpc.StatusCode.UNAVAILABLE
    assert error.reason == ""
    assert error.field_violations == []
    assert str(error) == "UNAVAILABLE: connection refused"


def test_an_undecodable_trailer_is_ignored() -> None:
    call = FakeRpcError(grpc.StatusCode.INTERNAL, "boom", (("grpc-status-details-bin", b"\xff\xff\xff"),))
    error = from_rpc_error(call)
    assert (error.code, error.reason) == (grpc.StatusCode.INTERNAL, "")


def test_from_status_maps_the_numeric_code() -> None:
    error = GraftError.from_status(rich_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "queue full", "QUEUE_FULL"))
    assert error.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.reason == "QUEUE_FULL"


def test_graft_error_is_raisable_and_catchable_as_exception() -> None:
    with pytest.raises(GraftError) as caught:
        raise GraftError(grpc.StatusCode.NOT_FOUND, "gone", reason="JOB_NOT_FOUND")
    assert caught.value.reason == "JOB_NOT_FOUND"
    assert "JOB_NOT_FOUND" in repr(caught.value)
