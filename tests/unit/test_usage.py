"""Reading billed usage from SDK responses: every count, from the model's own fields, without
raising and catching an ``AttributeError`` for a field a response or an older SDK lacks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from _private import usage_module
from openai import BaseModel
from openai._models import construct_type
from openai.types.responses import Response

RECORDED_USAGE = {  # a recorded Responses answer's usage (cassettes/test_file_replay, 2026-07)
    "input_tokens": 856,
    "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
    "output_tokens": 468,
    "output_tokens_details": {"reasoning_tokens": 448},
    "total_tokens": 1324,
}


def _response(usage: dict[str, Any]) -> object:
    """A ``Response`` built the way the SDK builds one from a body (no validation)."""
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-5-nano-2025-08-07",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }
    return construct_type(type_=Response, value=body)


def _exceptions_raised(call: Callable[[], object]) -> tuple[object, list[str]]:
    """``call()`` and every exception raised while it ran, in Python code or by a C function
    it called (caught or not)."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_exception":
            seen.append(f"{getattr(arg, '__qualname__', arg)} raised")

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "exception":
            seen.append(f"{arg[0].__name__} in {frame.f_code.co_name}")
        return trace

    sys.setprofile(profile)
    sys.settrace(trace)
    try:
        result = call()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return result, seen


def test_a_recorded_usage_is_read_without_raising() -> None:
    """The recorded body has ``cache_write_tokens`` but no ``cache_write_tokens_details``: its
    12 h count is ``None``, found without an ``AttributeError`` on the way."""
    response = _response(RECORDED_USAGE)
    usage, raised = _exceptions_raised(lambda: usage_module.billed_usage("responses", response))
    assert raised == []
    assert usage == usage_module.BilledUsage(856, 0, 468, 448, 0, None)


def test_a_usage_without_the_newer_fields_is_read_without_raising() -> None:
    """A body older than the cache-write fields reads them as ``None``."""
    old = {**RECORDED_USAGE, "input_tokens_details": {"cached_tokens": 12}}
    response = _response(old)
    usage, raised = _exceptions_raised(lambda: usage_module.billed_usage("responses", response))
    assert raised == []
    assert usage == usage_module.BilledUsage(856, 12, 468, 448, None, None)


class _OldDetails(BaseModel):
    """An SDK's details model from before ``cache_write_tokens`` was declared."""

    cached_tokens: int


class _OldUsage(BaseModel):
    input_tokens: int
    input_tokens_details: _OldDetails
    output_tokens: int


def test_an_sdk_older_than_a_field_still_reads_it_from_the_extras() -> None:
    """The SDK's models keep undeclared fields as extras: a count the API sends that the
    installed SDK does not declare is still read (and an absent one is ``None``), and
    ``reasoning_tokens`` under an undeclared ``output_tokens_details`` too."""
    body = {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 20},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 3},
    }
    holder = type("R", (), {"usage": construct_type(type_=_OldUsage, value=body)})()
    usage, raised = _exceptions_raised(lambda: usage_module.billed_usage("responses", holder))
    assert usage == usage_module.BilledUsage(100, 10, 5, None, 20, None)
    assert raised == [], raised


def test_plain_objects_and_properties_are_still_read_by_attribute() -> None:
    """Objects that are not SDK models (test doubles, wrappers with properties) are read by
    attribute lookup, as before."""

    class Details:
        @property
        def cached_tokens(self) -> int:
            return 7

    class Usage:
        input_tokens = 50
        output_tokens = 4
        input_tokens_details = Details()

    holder = type("R", (), {"usage": Usage()})()
    usage = usage_module.billed_usage("responses", holder)
    assert usage == usage_module.BilledUsage(50, 7, 4, None, None, None)
