"""Preflight of file parts: every problem listed with its position, nothing sent."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from _pdfs import DATA, make_ooxml, make_pdf

from openai_vision_ext import (
    FILE_LIMIT_PROFILES,
    FileLimits,
    PreflightError,
    chat_file_part,
    file_part,
    preflight,
)


def _url(data: bytes, mime: str = "application/pdf") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def _responses(*parts: Any) -> dict[str, Any]:
    return {"input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}, *parts]}]}


def _chat(*parts: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}, *parts]}]}


def _codes(api: str, request: dict[str, Any], **kwargs: Any) -> list[tuple[str, int | None, str]]:
    with pytest.raises(PreflightError) as info:
        preflight(api=api, model="gpt-4o", **request, **kwargs)  # type: ignore[arg-type]
    return [(v.code, v.file_index, str(v.location)) for v in info.value.violations]


def test_good_file_parts_pass_and_are_reported() -> None:
    """Parts built by file_part/chat_file_part pass; the outcome holds each file's info."""
    pdf = (DATA / "rubyllm-001.pdf").read_bytes()
    outcome = preflight(model="gpt-4o", **_responses(file_part(pdf), file_part(b"notes")))
    assert [(ref.index, info.kind if info else None) for ref, info in outcome.files] == [
        (0, "pdf"),
        (1, "text"),
    ]
    chat = preflight(api="chat.completions", model="gpt-4o", **_chat(chat_file_part(pdf)))
    assert chat.files[0][1] is not None
    assert chat.files[0][1].pdf is not None
    assert chat.files[0][1].pdf.pages == 1


def test_every_file_problem_is_listed_with_its_position() -> None:
    """Four bad files, four violations, in request order, with positions."""
    request = _responses(
        {"type": "input_file", "file_data": _url(make_pdf(encrypt=True)), "filename": "a.pdf"},
        {"type": "input_file", "file_data": _url(make_pdf(count=10**7)), "filename": "b.pdf"},
        {"type": "input_file", "file_data": _url(b"text", "text/plain"), "detail": "high"},
        {"type": "input_file"},
    )
    assert _codes("responses", request) == [
        ("encrypted_pdf", 0, "input[0].content[1]"),
        ("pdf_bomb", 1, "input[0].content[2]"),
        ("invalid_file_detail", 2, "input[0].content[3]"),
        ("missing_file", 3, "input[0].content[4]"),
    ]


def test_chat_completions_takes_only_pdfs_without_detail_or_url() -> None:
    """The API's own rules for Chat ``file`` parts are checked before it would answer 400."""
    request = _chat(
        {"type": "file", "file": {"file_data": _url(b"# md", "text/markdown"), "filename": "x"}},
        {"type": "file", "file": {"file_data": _url(make_pdf())}, "detail": "low"},
        {"type": "file", "file": {"file_url": "https://example.com/a.pdf"}},
    )
    assert _codes("chat.completions", request) == [
        ("unsupported_file_type", 0, "messages[0].content[1]"),
        ("invalid_file_detail", 1, "messages[0].content[2]"),
        ("invalid_file_source", 2, "messages[0].content[3]"),
    ]


def test_a_corrupt_pdf_and_a_lying_data_url() -> None:
    """Truncated PDFs and MIME types that disagree with the bytes are caught."""
    pdf = make_pdf()
    request = _responses(
        {"type": "input_file", "file_data": _url(pdf[:100])},
        {"type": "input_file", "file_data": _url(make_ooxml("word/document.xml"))},
    )
    assert [c for c, _, _ in _codes("responses", request)] == ["corrupt_file", "invalid_file_data"]


def test_per_file_and_combined_limits() -> None:
    """A stricter profile shows both limits: one file too big, and the request in total."""
    limits = FileLimits(max_file_bytes=600, max_total_bytes=900, max_pages=None, name="tiny")
    small = (DATA / "mirascope-001.pdf").read_bytes()  # 591 bytes
    big = make_pdf(pages=8)
    assert len(small) <= 600 < len(big)
    request = _responses(
        *(file_part(small) for _ in range(2)), {"type": "input_file", "file_data": _url(big)}
    )
    codes = _codes("responses", request, file_limits=limits)
    assert codes == [
        ("file_too_large", 2, "input[0].content[3]"),
        ("files_too_large", None, "None"),
    ]


def test_the_2025_profile_limits_pages() -> None:
    """100 pages per request in the 2025 text: 2 x 60 pages is over."""
    request = _responses(*(file_part(make_pdf(pages=60)) for _ in range(2)))
    assert _codes("responses", request, file_limits=FILE_LIMIT_PROFILES["2025"]) == [
        ("too_many_pages", None, "None")
    ]
    preflight(model="gpt-4o", **request)  # no page limit stated today


def test_ids_and_urls_are_noted_not_checked() -> None:
    """file_id and file_url parts are referenced, not fetched: a note says so."""
    outcome = preflight(
        model="gpt-4o", **_responses(file_part(file_id="file-1"), file_part("https://e.com/a.pdf"))
    )
    assert outcome.ok
    assert any("2 files are given by file_id or file_url" in n for n in outcome.notes)


def test_violation_text_names_the_file() -> None:
    """The error message points at the file's index and location."""
    with pytest.raises(
        PreflightError, match=r"file 0 at input\[0\]\.content\[1\]: a file's detail"
    ):
        preflight(
            model="gpt-4o",
            **_responses({"type": "input_file", "file_id": "file-1", "detail": "original"}),
        )
