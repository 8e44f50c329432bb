"""Real file bills replayed through the clients: the report and audit record per file.

Each case sends one of the public PDFs the bills in ``shared/real-usage/file_inputs.jsonl`` used,
with the recorded prompt, to a mock transport that answers with the recorded usage verbatim.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from _fake_openai import Reply, chat_body, response_body

from openai_vision_ext import (
    AuditRecord,
    JsonlSink,
    LoggingSink,
    PdfBombError,
    PreflightError,
    VisionOpenAI,
    chat_file_part,
    file_part,
    vision_report,
)
from openai_vision_ext.testing import capture_audit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _pdfs import DATA, make_pdf

MIRASCOPE = "What text is in this PDF document? Reply in one short sentence."

# id -> (api, model, served, pdf, prompt, filename, recorded usage, recorded sha256)
BILLS: dict[str, tuple[Any, ...]] = {
    "file-mirascope-001": (
        "chat.completions",
        "gpt-4o",
        "gpt-4o-2024-08-06",
        "mirascope-001.pdf",
        MIRASCOPE,
        "document.pdf",
        {"prompt_tokens": 241, "completion_tokens": 12, "total_tokens": 253},
        "d8afaa7a628f793c66a6b57284be7a945f5664f72d7f0bd6242c8c5581422465",
    ),
    "file-mirascope-002": (
        "responses",
        "gpt-4o",
        "gpt-4o-2024-08-06",
        "mirascope-001.pdf",
        MIRASCOPE,
        "document.pdf",
        {"input_tokens": 29, "output_tokens": 20, "total_tokens": 49},
        "d8afaa7a628f793c66a6b57284be7a945f5664f72d7f0bd6242c8c5581422465",
    ),
    "file-rubyllm-001": (
        "chat.completions",
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
        "rubyllm-001.pdf",
        "Summarize this document",
        "sample.pdf",
        {"prompt_tokens": 965, "completion_tokens": 123, "total_tokens": 1088},
        "229defbb0cee6f02673a5cde290d0673e75a0dc31cec43989c8ab2a4eca7e1bb",
    ),
    "file-rubyllm-015": (
        "responses",
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
        "rubyllm-001.pdf",
        "Summarize this document",
        "sample.pdf",
        {"input_tokens": 753, "output_tokens": 69, "total_tokens": 822},
        "229defbb0cee6f02673a5cde290d0673e75a0dc31cec43989c8ab2a4eca7e1bb",
    ),
}


def _send(case: str, **options: Any) -> tuple[Any, list[dict[str, Any]]]:
    api, model, served, pdf, prompt, filename, usage, _ = BILLS[case]
    data = (DATA / pdf).read_bytes()
    reply = Reply(api, served, usage, f"id_{case}", 1_770_452_635, "req_file")
    body = chat_body(reply) if api == "chat.completions" else response_body(reply)
    sent: list[dict[str, Any]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=body, headers={"x-request-id": "req_file"})

    client = VisionOpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
        **options,
    )
    if api == "chat.completions":
        content = [{"type": "text", "text": prompt}, chat_file_part(data, filename=filename)]
        result = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}]
        )
    else:
        content = [{"type": "input_text", "text": prompt}, file_part(data, filename=filename)]
        result = client.responses.create(model=model, input=[{"role": "user", "content": content}])
    return result, sent


@pytest.mark.parametrize("case", sorted(BILLS))
def test_report_sets_each_file_beside_the_real_bill(case: str) -> None:
    """The report has the file's kind, hash, size and pages; the bill lies within the bounds."""
    result, sent = _send(case)
    report = vision_report(result)
    assert report is not None
    (f,) = report.files
    assert (f.kind, f.pages, f.sha256) == ("pdf", 1, BILLS[case][7])
    billed = report.billed_input_tokens
    assert billed is not None
    assert report.estimated_input_lower is not None
    assert report.estimated_input_upper is not None
    assert report.estimated_input_lower <= billed <= report.estimated_input_upper
    assert report.estimated_file_tokens == f.tokens
    assert report.billed_file_tokens == billed - report.estimated_text_tokens
    assert len(sent) == 1


def test_audit_record_names_no_file_and_holds_no_content() -> None:
    """The record identifies the file by hash; no filename, no text, no base64."""
    result, _ = _send("file-rubyllm-001")
    report = vision_report(result)
    assert report is not None
    record = AuditRecord.from_report(report, now=datetime(2026, 11, 30, tzinfo=UTC))
    line = json.dumps(record.to_dict())
    (f,) = record.to_dict()["files"]
    assert (f["kind"], f["pages"], f["estimated_text_tokens"]) == ("pdf", 1, 737)
    assert "sample.pdf" not in line
    assert "Sample PDF" not in line
    assert "JVBER" not in line
    assert AuditRecord.from_dict(record.to_dict()) == record
    assert f["filename"] is None


@pytest.mark.parametrize("case", ["file-rubyllm-001", "file-rubyllm-015"])
def test_by_default_no_sink_sees_the_file_name(
    case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The default client: the name is in neither the report, the JSONL line nor the log."""
    sinks = [JsonlSink(tmp_path / "audit.jsonl"), LoggingSink()]
    caplog.set_level(logging.DEBUG)
    result, sent = _send(case, audit=sinks)
    assert "sample.pdf" in json.dumps(sent)  # it was sent, so there is a name to leak
    report = vision_report(result)
    assert report is not None
    assert [f.filename for f in report.files] == [None]
    assert "sample.pdf" not in repr(report)
    assert "sample.pdf" not in (tmp_path / "audit.jsonl").read_text()
    assert "sample.pdf" not in caplog.text
    assert all("sample.pdf" not in json.dumps(r.__dict__, default=str) for r in caplog.records)


def test_record_file_names_opts_in_to_the_name() -> None:
    """``record_file_names=True``: the report and the audit record name each file; a copy of
    the client keeps the option, and ``copy(record_file_names=False)`` turns it off."""
    with capture_audit() as records:
        result, _ = _send("file-rubyllm-015", record_file_names=True)
    report = vision_report(result)
    assert report is not None
    assert [f.filename for f in report.files] == ["sample.pdf"]
    (record,) = records
    assert [f.filename for f in record.files] == ["sample.pdf"]
    assert record.to_dict()["files"][0]["filename"] == "sample.pdf"
    assert AuditRecord.from_dict(record.to_dict()) == record
    client = VisionOpenAI(api_key="sk-test", record_file_names=True)
    assert client.copy().vision_options.record_file_names is True
    assert client.copy(record_file_names=False).vision_options.record_file_names is False


def test_a_recorded_name_cannot_break_a_log_line_or_leak_a_url() -> None:
    """Names are user text: control characters escaped, URL credentials redacted."""
    seen: list[Any] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        reply = Reply("responses", "gpt-4o-2024-08-06", BILLS["file-mirascope-002"][6], "r", 1, "q")
        return httpx2.Response(200, json=response_body(reply))

    client = VisionOpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
        record_file_names=True,
        audit=[seen.append],
    )
    name = "a.pdf\nFAKE LOG LINE https://user:pw@example.com/x.pdf?sig=SECRET"
    part = file_part((DATA / "mirascope-001.pdf").read_bytes(), filename=name)
    client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [part]}])
    (record,) = seen
    (recorded,) = [f.filename for f in record.files]
    assert recorded is not None
    assert "\n" not in recorded
    assert "FAKE LOG LINE" in recorded
    assert "pw@" not in recorded
    assert "SECRET" not in recorded


BOMBS = {
    "5M pages claimed": {"count": 5_000_000},
    "10M pt page": {"box": (10_000_000, 792)},
    "10,001 page objects": {"pages": 10_001, "count": 1},
}


@pytest.mark.parametrize("bomb", list(BOMBS.values()), ids=list(BOMBS))
@pytest.mark.parametrize("api", ["responses", "chat.completions"])
def test_a_pdf_bomb_is_refused_quickly_and_nothing_is_sent(bomb: dict[str, Any], api: str) -> None:
    """Through the real client: a PreflightError naming pdf_bomb, in well under a second, and no
    request on the wire; ``file_part`` refuses the same bytes with the typed error."""
    data = make_pdf(**bomb)
    sent: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(500)

    client = VisionOpenAI(
        api_key="sk-test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )
    url = "data:application/pdf;base64," + base64.b64encode(data).decode()
    if api == "responses":
        part = {"type": "input_file", "filename": "a.pdf", "file_data": url}
        call = functools.partial(
            client.responses.create, model="gpt-4o", input=[{"role": "user", "content": [part]}]
        )
    else:
        chat_part = {"type": "file", "file": {"filename": "a.pdf", "file_data": url}}
        call = functools.partial(
            client.chat.completions.create,
            model="gpt-4o",
            messages=[{"role": "user", "content": [chat_part]}],
        )
    start = time.perf_counter()
    with pytest.raises(PreflightError) as caught:
        call()
    assert time.perf_counter() - start < 1.0
    assert [v.code for v in caught.value.violations] == ["pdf_bomb"]
    assert sent == []
    with pytest.raises(PdfBombError):
        file_part(data)
