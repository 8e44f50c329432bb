"""``with_raw_response`` and ``with_streaming_response`` bodies are parsed when the caller
parses them (or when ``vision_report()`` asks), never by us before (issue 16)."""

from __future__ import annotations

import gc
import logging
from typing import Any

import httpx2
import pytest
from _helpers import Side, wait_for
from _mock import Mock, responses_request
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse

from openai_vision_ext import AuditRecord, VisionOpenAI, vision_report

BILLED_INPUT = 269


def _client(mock: Mock, **options: Any) -> VisionOpenAI:
    return VisionOpenAI(api_key="k", max_retries=0, http_client=mock.sync_client(), **options)


def _count_parses(monkeypatch: pytest.MonkeyPatch, cls: Any) -> list[object]:
    """Record every time the SDK really parses a body (its private ``_parse``)."""
    calls: list[object] = []
    original = cls._parse

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "_parse", spy)
    return calls


@pytest.mark.anyio
async def test_raw_response_is_not_parsed_until_the_caller_parses(
    side: Side, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``with_raw_response.create``: no parse by us; the caller's ``parse()`` completes the
    report, which both the raw and the parsed object then carry; one audit record. (The SDK's
    legacy raw response parses synchronously on both sides.)"""
    parses = _count_parses(monkeypatch, LegacyAPIResponse)
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    raw = await side.run(client.responses.with_raw_response.create(**responses_request()))
    assert parses == []
    assert records == []
    parsed = raw.parse()
    assert len(parses) == 1
    report = vision_report(parsed)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(raw) is report
    assert raw.parse() is parsed
    assert len(parses) == 1
    assert wait_for(lambda: bool(records))  # async: parse() is sync, a background thread writes
    assert [r.billed_input_tokens for r in records] == [BILLED_INPUT]


def test_raw_response_report_asked_first_parses_once_for_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``vision_report(raw)`` before any ``parse()``: parsed then (the caller asked), into the
    SDK's cache, so the caller's own ``parse()`` returns that object and reads nothing again."""
    parses = _count_parses(monkeypatch, LegacyAPIResponse)
    raw = _client(Mock.ok()).responses.with_raw_response.create(**responses_request())
    report = vision_report(raw)
    assert report is not None
    assert report.status == "ok"
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(raw.parse()) is report
    assert len(parses) == 1


def test_raw_response_parsed_to_another_type_makes_no_report_from_it() -> None:
    """``parse(to=...)`` is the caller's own shape: the report comes from the response type
    when asked, still without a second read of the body."""
    raw = _client(Mock.ok()).responses.with_raw_response.create(**responses_request())
    assert isinstance(raw.parse(to=dict), dict)
    report = vision_report(raw)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT


def test_a_non_json_body_is_not_parsed_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body that is not JSON (a proxy's HTML page) is left alone until the caller parses it:
    no warning from us for a response the caller may never parse."""
    mock = Mock(lambda _: httpx2.Response(200, content=b"<html>ok</html>"))
    with caplog.at_level(logging.DEBUG):
        raw = _client(mock).responses.with_raw_response.create(**responses_request())
        assert raw.http_response.status_code == 200
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_raw_response_dropped_unparsed_leaves_one_incomplete_record() -> None:
    records: list[AuditRecord] = []
    raw = _client(Mock.ok(), audit=[records.append]).responses.with_raw_response.create(
        **responses_request()
    )
    assert records == []
    del raw
    gc.collect()
    assert wait_for(lambda: bool(records))  # async: written by a background thread
    assert [(r.status, r.billed_input_tokens) for r in records] == [("incomplete", None)]
    assert any("dropped before its body was parsed" in note for note in records[0].notes)


@pytest.mark.anyio
async def test_streaming_response_report_follows_the_callers_parse(
    side: Side, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``with_streaming_response``: the body is never read for the caller; their ``parse()``
    completes the report and writes the audit record."""
    parses = _count_parses(monkeypatch, AsyncAPIResponse if side.is_async else APIResponse)
    records: list[AuditRecord] = []
    client = side.client(Mock.ok(), audit=[records.append])
    async with side.enter(
        client.responses.with_streaming_response.create(**responses_request())
    ) as raw:
        assert vision_report(raw).status == "incomplete"  # type: ignore[union-attr]
        assert parses == []
        parsed = await side.run(raw.parse())
    report = vision_report(parsed)
    assert report is not None
    assert report.billed_input_tokens == BILLED_INPUT
    assert vision_report(raw) is report
    assert [r.billed_input_tokens for r in records] == [BILLED_INPUT]
