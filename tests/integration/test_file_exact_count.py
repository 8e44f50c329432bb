"""``exact_count=True`` with file parts: the request is counted without its images, then once more
without its images and files, and the difference is the files' billed tokens (loopback mock).

The bill is file-rubyllm-015's (``shared/real-usage/file_inputs.jsonl``: 753 input tokens for
rubyllm-001.pdf and a short prompt on gpt-4.1-nano) plus a 100x100 image; the count endpoint's
answers are synthesized (no recorded ``input_tokens.count`` exists): 9 for the prompt, 744 more
when the PDF is in the counted request. The tests check the mechanism: which requests are
counted, and how the answers are attributed.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from _fake_openai import Reply, chat_body, response_body, responses_sse
from _helpers import Side
from _mock import IMAGE

from openai_vision_ext import (
    AsyncVisionOpenAI,
    AuditRecord,
    VisionOpenAI,
    VisionReport,
    chat_file_part,
    file_part,
    vision_report,
)
from openai_vision_ext.testing import capture_audit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _pdfs import DATA

PDF = (DATA / "rubyllm-001.pdf").read_bytes()
PROMPT_TOKENS = 9
FILE_TOKENS = 744
IMAGE_TOKENS = 85  # gpt-4.1-nano's charge is irrelevant here: billed - count is what is attributed
BILLED = PROMPT_TOKENS + FILE_TOKENS + IMAGE_TOKENS

COUNT_PATH = "/responses/input_tokens"


def _request(*, with_file: bool = True, stream: bool = False) -> dict[str, Any]:
    image = "data:image/png;base64," + base64.b64encode(IMAGE).decode()
    content: list[Any] = [
        {"type": "input_text", "text": "Summarize this document"},
        {"type": "input_image", "image_url": image, "detail": "low"},
    ]
    if with_file:
        content.append(file_part(PDF, filename="sample.pdf"))
    request: dict[str, Any] = {
        "model": "gpt-4.1-nano",
        "input": [{"role": "user", "content": content}],
    }
    return {**request, "stream": True} if stream else request


def _reply() -> Reply:
    usage = {
        "input_tokens": BILLED,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 69,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": BILLED + 69,
    }
    return Reply("responses", "gpt-4.1-nano-2025-04-14", usage, "resp_file", 1_770_452_635, "r")


class Server:
    """Answers ``responses.create`` with the bill and ``input_tokens.count`` from the body."""

    def __init__(self, fail_count: Callable[[int], bool] = lambda _: False) -> None:
        self.counts: list[dict[str, Any]] = []
        self.fail_count = fail_count

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if request.url.path.endswith(COUNT_PATH):
            self.counts.append(body)
            if self.fail_count(len(self.counts)):
                return httpx2.Response(500, json={"error": {"message": "boom"}})
            has_file = '"input_file"' in request.content.decode()
            tokens = PROMPT_TOKENS + (FILE_TOKENS if has_file else 0)
            return httpx2.Response(
                200, json={"object": "response.input_tokens", "input_tokens": tokens}
            )
        if body.get("stream"):
            return httpx2.Response(
                200,
                content=b"".join(responses_sse(_reply())),
                headers={"content-type": "text/event-stream"},
            )
        return httpx2.Response(200, json=response_body(_reply()))

    def client(self) -> VisionOpenAI:
        http = httpx2.Client(transport=httpx2.MockTransport(self.handle))
        return VisionOpenAI(api_key="sk-test", max_retries=0, http_client=http, exact_count=True)

    def async_client(self) -> AsyncVisionOpenAI:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        return AsyncVisionOpenAI(
            api_key="sk-test", max_retries=0, http_client=http, exact_count=True
        )


def _part_types(body: dict[str, Any]) -> list[str]:
    return [part["type"] for message in body["input"] for part in message["content"]]


def _check_two_counts(server: Server, report: VisionReport | None) -> None:
    assert [_part_types(body) for body in server.counts] == [
        ["input_text", "input_file"],
        ["input_text"],
    ]
    assert report is not None
    assert report.counted_text_tokens == PROMPT_TOKENS + FILE_TOKENS
    assert report.counted_without_files_tokens == PROMPT_TOKENS
    assert (report.file_attribution, report.billed_file_tokens) == (
        "input_tokens.count",
        FILE_TOKENS,
    )
    assert (report.attribution, report.billed_image_tokens) == ("input_tokens.count", IMAGE_TOKENS)


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_two_counts_attribute_the_file_tokens_exactly(side: Side, stream: bool) -> None:
    server = Server()
    client = server.async_client() if side.is_async else server.client()
    result: Any = await side.run(client.responses.create(**_request(stream=stream)))
    if stream:
        await side.drain(result)
    _check_two_counts(server, vision_report(result))


def test_raw_response_parsed_later_counts_twice_too() -> None:
    server = Server()
    raw = server.client().responses.with_raw_response.create(**_request())
    parsed = raw.parse()
    _check_two_counts(server, vision_report(parsed))


def test_the_audit_record_carries_the_count_attribution() -> None:
    server = Server()
    with capture_audit() as records:
        server.client().responses.create(**_request())
    (record,) = records
    assert (record.file_attribution, record.billed_file_tokens) == (
        "input_tokens.count",
        FILE_TOKENS,
    )
    assert record.counted_without_files_tokens == PROMPT_TOKENS
    again = AuditRecord.from_dict(record.to_dict())
    assert again == record
    line = json.dumps(record.to_dict())
    assert "sample.pdf" not in line
    assert "JVBER" not in line


def test_a_failed_second_count_falls_back_to_the_text_estimate() -> None:
    """The count without files fails: the request still returns; files are attributed from the
    first count minus the text estimate, and a note says why."""
    server = Server(fail_count=lambda n: n == 2)
    response = server.client().responses.create(**_request())
    report = vision_report(response)
    assert len(server.counts) == 2
    assert report is not None
    assert response.usage is not None
    assert response.usage.input_tokens == BILLED
    assert report.file_attribution == "estimate"
    assert report.estimated_text_tokens is not None
    assert report.billed_file_tokens == PROMPT_TOKENS + FILE_TOKENS - report.estimated_text_tokens
    assert report.counted_without_files_tokens is None
    assert (report.attribution, report.counted_text_tokens) == (
        "input_tokens.count",
        PROMPT_TOKENS + FILE_TOKENS,
    )
    assert any("input_tokens.count failed (InternalServerError)" in n for n in report.notes)


def test_a_failed_first_count_makes_no_second_one() -> None:
    server = Server(fail_count=lambda n: True)
    report = vision_report(server.client().responses.create(**_request()))
    assert len(server.counts) == 1
    assert report is not None
    assert (report.attribution, report.file_attribution) == ("estimate", "estimate")
    assert report.estimated_text_tokens is not None
    assert report.estimated_image_tokens is not None
    assert report.billed_file_tokens == (
        BILLED - report.estimated_text_tokens - report.estimated_image_tokens
    )


def test_a_request_without_files_is_counted_once() -> None:
    server = Server()
    report = vision_report(server.client().responses.create(**_request(with_file=False)))
    assert [_part_types(body) for body in server.counts] == [["input_text"]]
    assert report is not None
    assert (report.file_attribution, report.billed_file_tokens) == ("none", None)
    assert report.counted_without_files_tokens is None


def test_chat_completions_has_no_count_so_files_are_attributed_by_estimate() -> None:
    """Chat Completions has no ``input_tokens.count``: no count call, a note, and the files'
    share is the bill minus the text and image estimates."""
    calls: list[str] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.url.path)
        usage = {"prompt_tokens": 965, "completion_tokens": 1, "total_tokens": 966}
        reply = Reply("chat.completions", "gpt-4.1-nano-2025-04-14", usage, "c", 1, "r")
        return httpx2.Response(200, json=chat_body(reply))

    http = httpx2.Client(transport=httpx2.MockTransport(handle))
    client = VisionOpenAI(api_key="sk-test", max_retries=0, http_client=http, exact_count=True)
    content = [{"type": "text", "text": "Summarize this document"}, chat_file_part(PDF)]
    response = client.chat.completions.create(
        model="gpt-4.1-nano", messages=[{"role": "user", "content": content}]
    )
    report = vision_report(response)
    assert calls == ["/v1/chat/completions"]
    assert report is not None
    assert report.file_attribution == "estimate"
    assert report.estimated_text_tokens is not None
    assert report.billed_file_tokens == 965 - report.estimated_text_tokens
    assert any("Chat Completions has no input_tokens.count" in note for note in report.notes)
