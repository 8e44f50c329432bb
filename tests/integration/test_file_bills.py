"""Real file bills replayed through the clients: the report and audit record per file.

Each case sends one of the public PDFs the bills in ``shared/real-usage/file_inputs.jsonl`` used,
with the recorded prompt, to a mock transport that answers with the recorded usage verbatim.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from _fake_openai import Reply, chat_body, response_body

from openai_vision_ext import (
    AuditRecord,
    VisionOpenAI,
    chat_file_part,
    file_part,
    vision_report,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _pdfs import DATA

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


def _send(case: str) -> tuple[Any, list[dict[str, Any]]]:
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
