"""File estimates: rows by date, bounds that cover the real bills, exact only where verified."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _pdfs import DATA, make_ooxml, make_pdf
from _private import (
    bill_day,
    estimate_with_infos,
    file_bill,
    file_calibration_table,
    file_rule_for,
    recorded_file_info,
)

from openai_vision_ext import ImageInfo, chat_file_part, estimate_request, file_part

REAL_USAGE = Path(__file__).parents[2].parent / "shared" / "real-usage"
QUESTION = "What is in this file?"


def _responses(model: str, *parts: Any) -> Any:
    content = [{"type": "input_text", "text": QUESTION}, *parts]
    return estimate_request(model=model, input=[{"role": "user", "content": content}])


def _chat(model: str, *parts: Any) -> Any:
    content = [{"type": "text", "text": QUESTION}, *parts]
    return estimate_request(
        api="chat.completions", model=model, messages=[{"role": "user", "content": content}]
    )


def test_a_file_adds_its_text_layer_and_page_rule_to_the_request() -> None:
    """input_tokens = request without the file + the file's text layer + its row's page part."""
    pdf = (DATA / "rubyllm-001.pdf").read_bytes()
    with_file = _chat("gpt-4o", chat_file_part(pdf))
    without = _chat("gpt-4o")
    (f,) = with_file.files
    assert (f.kind, f.pages, f.text_tokens) == ("pdf", 1, 737)
    assert with_file.input_tokens == without.input_tokens + 737 + f.page_tokens
    assert with_file.file_tokens == f.tokens


def test_file_estimates_never_hold_content_or_name() -> None:
    """The repr shows kind, sizes and hash, never the text or the filename."""
    est = _responses(
        "gpt-4o", file_part((DATA / "mirascope-001.pdf").read_bytes(), filename="secret-name.pdf")
    )
    assert "Hello" not in repr(est)
    assert "secret-name" not in repr(est)


def test_newest_unverified_rows_give_bounds_not_exact() -> None:
    """Today's Chat row (2026-03, three bills that disagree) is unverified: not exact, and its
    bounds span the older 216."""
    est = _chat("gpt-4o", chat_file_part(make_pdf()))
    (f,) = est.files
    assert not est.exact
    assert not f.exact
    assert f.upper is not None
    assert f.lower <= 216 <= f.upper
    assert any("not verified" in n for n in est.notes)


def test_more_pages_than_bills_saw_widen_the_bounds() -> None:
    """Rules fitted on one-page PDFs bound a 5-page PDF instead of claiming it."""
    (f,) = _chat("gpt-4o", chat_file_part(make_pdf(pages=5))).files
    assert f.pages == 5
    assert f.upper is not None
    assert f.lower < f.tokens <= f.upper


def test_documents_are_bounded_by_the_rows_spread_beyond_their_text() -> None:
    """A docx without text: the document row's spread (6..36, unverified) bounds it, not exact,
    and a note says the extraction format is this package's."""
    (f,) = _responses("gpt-4o", file_part(make_ooxml("word/document.xml"))).files
    assert (f.kind, f.text_tokens, f.lower, f.upper, f.exact) == ("docx", 0, 6, 36, False)
    assert any("extraction format is undocumented" in note for note in f.notes)


def test_ids_have_a_lower_bound_only() -> None:
    """A file_id's bytes are unknown: no upper bound, no exact."""
    (f,) = _responses("gpt-4o", file_part(file_id="file-1")).files
    assert (f.source, f.kind, f.upper, f.exact) == ("file_id", None, None, False)


def test_high_detail_pages_use_the_models_image_rule() -> None:
    """detail=high (no bill yet) bounds each page by the model's own image rule on a render."""
    low = _responses("gpt-4o", file_part(make_pdf(), detail="low")).files[0]
    high = _responses("gpt-4o", file_part(make_pdf(), detail="high")).files[0]
    assert high.detail == "high"
    assert high.upper is not None
    assert low.upper is not None
    assert high.upper > low.upper + 500


def test_auto_detail_means_high_from_gpt_5_6_on() -> None:
    """The guide: auto = high on GPT-5.6 and later, low before."""
    assert _responses("gpt-5.6", file_part(make_pdf())).files[0].detail == "high"
    assert _responses("gpt-5", file_part(make_pdf())).files[0].detail == "low"


def _bills() -> list[Any]:
    path = REAL_USAGE / "file_inputs.jsonl"
    if not path.is_file():
        pytest.skip("real-usage data not present")
    return [file_bill(json.loads(line)) for line in path.read_text().splitlines() if line]


def test_every_counted_real_bill_lies_within_its_bounds() -> None:
    """All 55 counted file bills (2025-03 to 2026-08) fall in [lower, upper]."""
    counted = [b for b in _bills() if b.excluded is None]
    assert len(counted) == 55
    assert [b.id for b in counted if not b.within] == []


def test_exact_is_claimed_only_where_the_bill_agrees() -> None:
    """Every estimate claiming exact equals its bill to the token."""
    claimed = [b for b in _bills() if b.excluded is None and b.exact_claimed]
    assert len(claimed) == 36
    assert [(b.id, b.billed, b.estimate) for b in claimed if not b.hit] == []


def test_calibration_table_has_a_row_per_api_and_rule() -> None:
    """The table the README shows."""
    table = file_calibration_table(_bills())
    assert (
        "| chat.completions | chat.completions/pdf/low@2025-04-19 | 24 | 24 | 20 | 20 (yes) |"
        in table
    )
    assert "| responses | responses/pdf/low@2025-08-05 | 21 | 21 | 21 | 16 (yes) |" in table


def test_request_bounds_include_the_files_bounds() -> None:
    """RequestEstimate.lower/upper add each file's spread; a file_id opens the upper bound."""
    est = _chat("gpt-4o", chat_file_part(make_pdf(pages=3)))
    (f,) = est.files
    assert est.upper is not None
    assert est.lower == est.input_tokens - f.tokens + f.lower
    assert est.upper == est.input_tokens - f.tokens + (f.upper or 0)
    assert _responses("gpt-4o", file_part(file_id="file-1")).upper is None


def _pdf_part_and_text(api: Any) -> tuple[Any, Any]:
    """A PDF file part and a text part, in ``api``'s own part types."""
    pdf = make_pdf()
    if api == "chat.completions":
        return chat_file_part(pdf), {"type": "text", "text": QUESTION}
    return file_part(pdf), {"type": "input_text", "text": QUESTION}


def _alone_and_beside(api: Any, model: str, place: str) -> tuple[Any, Any]:
    """The same PDF alone in its content and beside a text part: in a user message, or in a
    function_call_output (Responses)."""
    part, text = _pdf_part_and_text(api)

    def request(content: list[Any]) -> Any:
        if place == "message":
            return estimate_request(
                api=api, model=model, **{_ROOT[api]: [{"role": "user", "content": content}]}
            )
        call = {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
        output = {"type": "function_call_output", "call_id": "c", "output": content}
        return estimate_request(
            model=model, input=[{"role": "user", "content": "Go"}, call, output]
        )

    return request([part]), request([text, part])


_ROOT = {"chat.completions": "messages", "responses": "input"}


@pytest.mark.parametrize(
    ("api", "place"),
    [("chat.completions", "message"), ("responses", "message"), ("responses", "output")],
)
def test_a_file_alone_in_its_content_costs_four_less(api: Any, place: str) -> None:
    """A file pays its row's beside_text (4) only when the content holding it has a text part."""
    alone, beside = _alone_and_beside(api, "gpt-4o", place)
    (f_alone,), (f_beside,) = alone.files, beside.files
    assert f_beside.tokens - f_alone.tokens == 4
    assert (f_beside.lower - f_alone.lower, f_beside.upper - f_alone.upper) == (4, 4)


def _real_rows() -> dict[str, dict[str, Any]]:
    path = REAL_USAGE / "file_inputs.jsonl"
    if not path.is_file():
        pytest.skip("real-usage data not present")
    rows = (json.loads(line) for line in path.read_text().splitlines() if line)
    return {row["id"]: row for row in rows}


def _estimate_row(row: dict[str, Any], file_infos: list[Any] | None = None) -> tuple[int, Any]:
    """(billed, estimate) of one recorded bill with the rows of its date; its images by their
    recorded size; its files by their recorded facts unless ``file_infos`` is given."""
    request = {k: v for k, v in row["request_skeleton"].items() if k != "model"}
    images = [
        ImageInfo("png", i["mime"], i["width"], i["height"], 1, False, i["bytes_len"], "")
        for i in row["images"]
    ]
    est = estimate_with_infos(
        row["api"],
        row["model"],
        request,
        images,
        file_infos=file_infos or [recorded_file_info(f) for f in row["files"]],
        as_of=bill_day(row["response_created"], row["source_commit_date"]),
    )
    return row["usage"].get("input_tokens", row["usage"].get("prompt_tokens")), est


def test_the_2026_03_chat_row_keeps_212_a_page_and_bounds_the_bill_that_moved() -> None:
    """gpt-5-mini Chat round trips by file_id (2026-03-04; the model read back the one-page
    "Dummy PDF file") bill what their inline twins of 2026-01-30 billed, at the same residual
    (0); the one request that moved (gpt-4.1-nano, a PDF beside an image,
    +780 from 2026-03-03) lies within the row's bounds, estimated at its 2025 bill, not exact."""
    rows = _real_rows()
    for march, january in (
        ("file-pydai-041", "file-pydai-025"),
        ("file-pydai-043", "file-pydai-029"),
    ):
        twin_billed, twin = _estimate_row(rows[january])
        same_pdf = [recorded_file_info(f) for f in rows[january]["files"]]
        billed, est = _estimate_row(rows[march], same_pdf)
        assert billed == twin_billed
        assert billed - est.input_tokens == twin_billed - twin.input_tokens == 0
        assert est.files[0].rule == "chat.completions/pdf/low@2026-03-03"
        _, by_id = _estimate_row(rows[march])  # the id alone: no bytes, a lower bound only
        assert by_id.lower <= billed
        assert by_id.upper is None
    billed, moved = _estimate_row(rows["file-rubyllm-030"])
    before, _ = _estimate_row(rows["file-rubyllm-008"])
    assert (billed, moved.input_tokens, before) == (1783, 1003, 1003)
    assert moved.lower <= billed <= moved.upper
    assert not moved.exact


def _pydantic_round_trips() -> list[dict[str, Any]]:
    path = REAL_USAGE / "file_inputs.jsonl"
    if not path.is_file():
        pytest.skip("real-usage data not present")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    return [
        r
        for r in rows
        if r["id"].startswith("file-pydai")
        and r["has_tools"]
        and all(f.get("bytes_known") for f in r["files"])
        and not r["replayed_reasoning"]
    ]


def test_real_round_trips_bill_a_file_alone_like_one_beside_text() -> None:
    """pydantic-ai's round trips with a PDF (2026-01): the same residual per (API, model)
    whether the PDF sits beside text, alone in the next user message, or alone in the
    function_call_output (inline or by URL). Before the rule, the alone ones were 4 lower."""
    residuals: dict[tuple[str, str], set[int]] = {}
    for row in _pydantic_round_trips():
        billed, est = _estimate_row(row)
        key = (row["api"], row["model"])
        residuals.setdefault(key, set()).add(billed - est.input_tokens)
    assert residuals[("chat.completions", "gpt-4.1-mini")] == {0}  # 2 alone, 2 beside text
    assert residuals[("responses", "gpt-4.1-mini")] == {0}  # 2 in the output, 2 in a message
    assert residuals[("responses", "gpt-4o")] == {0}  # in the output, with a system message
    assert residuals[("chat.completions", "gpt-5-mini")] == {1, 0}  # 1: 2026-01-07 (2 alone)


@pytest.mark.parametrize(
    ("api", "detail", "as_of", "expected"),
    [
        # a bill dated before the table: the first row of its own API (not another API's)
        ("chat.completions", "low", "2025-01-01", ("chat.completions", "low", "2025-04-19")),
        # before files had a detail (until 2026-05) a high request was billed as the low row
        ("responses", "high", "2025-09-01", ("responses", "low", "2025-08-05")),
        ("responses", "high", "2026-07-15", ("responses", "high", "2026-07-15")),
        ("responses", "low", "2025-09-01", ("responses", "low", "2025-08-05")),
    ],
)
def test_a_file_rule_is_the_row_of_its_api_and_date(
    api: str, detail: str, as_of: str, expected: tuple[str, str, str]
) -> None:
    """Rows are picked by API, detail and date: no fallback reaches another API's or another
    date's row while one of the request's own is in force."""
    row = file_rule_for(api, "pdf", detail, as_of=as_of)
    assert (row.api, row.detail, row.since) == expected


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_one_file_part_object_in_two_contents_is_classed_per_content(api: Any) -> None:
    """The same part object alone in one message and beside text in the next: each use is
    classed by the content holding it (the first pays no beside_text, the second pays it)."""
    alone, beside = _alone_and_beside(api, "gpt-4o", "message")
    part, text = _pdf_part_and_text(api)
    messages = [{"role": "user", "content": [part]}, {"role": "user", "content": [text, part]}]
    both = estimate_request(api=api, model="gpt-4o", **{_ROOT[api]: messages})
    assert [f.tokens for f in both.files] == [alone.files[0].tokens, beside.files[0].tokens]
