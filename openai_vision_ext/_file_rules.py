"""DATA + PURE: what a file part adds to a request's billed input, as dated rows fitted on bills.

OpenAI does not document how a file becomes tokens. The bills in ``real-usage/file_inputs.jsonl``
(100 calls, 2025-03 to 2026-08) show, after subtracting the request's own text and framing and
the PDF's text layer (o200k, via pypdfium2):

* Chat Completions, one-page PDFs: +216 on every model billed (gpt-4o, gpt-4o-mini,
  gpt-4.1-nano, gpt-5-nano; 2025-04-19 to 2026-02-07), +432 for two; the same on a model whose
  images cost 33 times more (gpt-4o-mini), so it is not the model's image rule. From 2026-03
  gpt-5-mini still bills 212 a page (two bills), while one gpt-4.1-nano request (a PDF beside
  an image) bills 780 more; its image alone bills as before, so the 780 is the PDF's, cause
  unknown: the row since 2026-03-03 keeps 212 and is unverified, bounded up to 992 a page.
* Responses, PDFs: +4 on gpt-4o, gpt-4o-mini, gpt-4.1-nano, gpt-5-nano (+3 on o4-mini) from
  2025-08 to 2026-02, whether the page has text or not; +31 on 2025-03-27; +17 on gpt-5-nano
  in 2026-06/08. No page-image-sized charge.
* Responses, other documents: text + 18 (txt, 2025-03), docx + 6 to 18, xlsx + 36 (2026-08).
* On both APIs 4 of those tokens are paid only beside text (``beside_text``): pydantic-ai's
  round trips (gpt-4.1-mini, gpt-5-mini, 2026-01) bill a PDF alone in a user message or in a
  ``function_call_output`` 4 below the same PDF beside a text part (Chat 212 a page, Responses
  0 a file). Images show no such difference (Chat image-only messages bill their rule alone).

Each row says which part of that is verified: ``exact`` is only claimed for a row marked
verified, for files within the page count its bills had, and with the text layer known. Every
other case gets bounds from the row's spread (and, for ``detail="high"`` pages, from the
model's own image rule at an assumed render size; see :data:`HIGH_DETAIL_RENDER_DPI`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ._dated import in_force
from ._files import FileInfo
from ._rules import get_model_rule, image_tokens
from ._types import Api
from ._walk import FileRef

__all__ = [
    "AUTO_IS_HIGH_FROM",
    "FILE_PAGE_RULES",
    "FileEstimate",
    "FilePageRule",
    "estimate_file",
    "file_rule_for",
]

RowKind = Literal["pdf", "document"]
RowDetail = Literal["low", "high"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePageRule:
    """Tokens one file adds besides its text: a fixed part per file and a part per PDF page.

    ``per_file``/``per_page`` are the central values; ``*_range`` the spread that bounds cover.
    """

    api: Api
    kind: RowKind
    """``pdf``, or ``document`` (any non-PDF file: text only, per the guide)."""
    detail: RowDetail
    """The rendering the row describes (``low`` is what every recorded bill used)."""
    since: str
    """First bill date the row describes (ISO date)."""
    per_file: int
    per_file_range: tuple[int, int]
    per_page: int
    per_page_range: tuple[int, int]
    beside_text: int
    """Tokens a file adds only when the content holding it (a message's content, a tool output)
    also holds a text part: a file alone there does not pay them (both APIs: 4)."""
    verified: bool
    """True when several exact bills (request text known exactly) agree with ``per_*``."""
    bills: int
    """Number of bills fitted."""
    pages_verified: int
    """Most pages per file among those bills (1: multi-page files are bounds only)."""
    models: tuple[str, ...]
    """Models whose bills back the row (others use it unverified)."""
    render_image_rule: bool = False
    """True: ``per_page`` is not a number but the model's own image rule on the page rendered
    at :data:`HIGH_DETAIL_RENDER_DPI` (an assumption: the render size is undocumented)."""
    source: str


FILE_PAGE_RULES: Final[tuple[FilePageRule, ...]] = (
    FilePageRule(
        api="chat.completions",
        kind="pdf",
        detail="low",
        since="2025-04-19",
        per_file=0,
        per_file_range=(0, 0),
        per_page=212,
        per_page_range=(211, 213),
        beside_text=4,
        verified=True,
        bills=24,
        pages_verified=1,
        models=("gpt-4o", "gpt-4.1-nano"),
        source="file_inputs.jsonl: one-page chat bills 2025-04-19..2026-02-07, billed - request "
        "estimate - text layer = 216 on gpt-4o, gpt-4o-mini, gpt-4.1-nano (two PDFs: 432); "
        "215 and 217 on gpt-5-nano; 225..232 beside approximate multi-turn estimates",
    ),
    FilePageRule(
        api="chat.completions",
        kind="pdf",
        detail="low",
        since="2026-03-03",
        per_file=0,
        per_file_range=(0, 0),
        per_page=212,
        per_page_range=(211, 992),
        beside_text=4,
        verified=False,
        bills=3,
        pages_verified=1,
        models=("gpt-5-mini",),
        source="file_inputs.jsonl: pydai-041/043 (gpt-5-mini, file_id, 2026-03-04) bill 392 and "
        "375, what the same round trips billed on 2026-01-30 with the one-page 'Dummy PDF file' "
        "inline (the model read that text back): the older 212 a page, not 991 (their bills are "
        "below 991 whatever the PDF); rubyllm-030 (gpt-4.1-nano, a PDF beside a 128x128 image, "
        "3 calls 2026-03-03..04-02) billed 1,783, 780 over 212 a page, while the same image "
        "alone, seconds apart in the same runs, billed 53 as since 2025 (observations.jsonl "
        "rubyllm-023/019/012): the +780 is the PDF's on that request, cause unknown (one "
        "request, one model); the upper edge 992 covers it, the central value does not follow it",
    ),
    FilePageRule(
        api="responses",
        kind="pdf",
        detail="low",
        since="2025-03-27",
        per_file=27,
        per_file_range=(27, 27),
        per_page=0,
        per_page_range=(0, 0),
        beside_text=4,
        verified=False,
        bills=2,
        pages_verified=1,
        models=("gpt-4o",),
        source="file_inputs.jsonl pydai-001/002 (2025-03-27): billed - estimate - text = 31",
    ),
    FilePageRule(
        api="responses",
        kind="pdf",
        detail="low",
        since="2025-08-05",
        per_file=0,
        per_file_range=(-1, 2),
        per_page=0,
        per_page_range=(0, 0),
        beside_text=4,
        verified=True,
        bills=21,
        pages_verified=1,
        models=("gpt-4o", "gpt-4.1-nano"),
        source="file_inputs.jsonl: one-page Responses bills 2025-08-05..2026-02-12 (file_data "
        "and file_url alike, text or no text): +4 on gpt-4o, gpt-4o-mini, gpt-4.1-nano; o4-mini "
        "+3; gpt-5-nano +4 and +6",
    ),
    FilePageRule(
        api="responses",
        kind="pdf",
        detail="low",
        since="2026-06-11",
        per_file=13,
        per_file_range=(0, 15),
        per_page=0,
        per_page_range=(0, 0),
        beside_text=4,
        verified=False,
        bills=4,
        pages_verified=1,
        models=("gpt-5-nano",),
        source="file_inputs.jsonl rubyllm-033/041 (exact, +17) and 034/042 (+19, multi-turn), "
        "gpt-5-nano only, 2026-06-11..2026-08-19 (UTC days of the responses)",
    ),
    FilePageRule(
        api="responses",
        kind="pdf",
        detail="high",
        since="2026-07-15",
        per_file=13,
        per_file_range=(0, 15),
        per_page=0,
        per_page_range=(0, 0),
        beside_text=4,
        verified=False,
        bills=0,
        pages_verified=0,
        models=(),
        render_image_rule=True,
        source="OpenAI 'File inputs' guide 2026-07-15: detail high renders pages at higher "
        "quality 'which may increase input token usage'; no bill yet: bounds from the model's "
        "image rule on a 144 dpi render",
    ),
    FilePageRule(
        api="responses",
        kind="document",
        detail="low",
        since="2025-03-27",
        per_file=14,
        per_file_range=(2, 32),
        per_page=0,
        per_page_range=(0, 0),
        beside_text=4,
        verified=False,
        bills=4,
        pages_verified=0,
        models=("gpt-4o", "gpt-5-nano"),
        source="file_inputs.jsonl pydai-003 (txt, +18), rubyllm-037/039 (docx, +6/+18), "
        "rubyllm-038 (xlsx with 16 text tokens, +36 beyond them)",
    ),
)
"""Every file rule, oldest first per (api, kind, detail). Edit with a CHANGELOG line."""

AUTO_IS_HIGH_FROM: Final[tuple[str, ...]] = ("gpt-5.6", "gpt-5.7", "gpt-5.8", "gpt-5.9", "gpt-6")
"""Model prefixes on which a file's ``detail="auto"`` means ``high`` (guide, 2026-07-15: "for
GPT-5.6 and later models, auto uses high-quality rendering"); ``low`` on earlier models."""

HIGH_DETAIL_RENDER_DPI: Final = 144
"""Assumed render resolution of a ``high`` page (undocumented): a US Letter page is 1224x1584."""

EMPTY_PAGE_TEXT_UPPER: Final = 1_000
"""Upper bound added per page without a text layer (a scan) when no bill shows how such pages
are billed: about a dense page of OCR'd text in o200k tokens."""

SPREADSHEET_SUMMARY_UPPER: Final = 1_000
"""Upper bound per sheet for the "model-generated summary and header metadata" the guide says a
spreadsheet gets (size undocumented; the one xlsx bill, a one-sheet file, shows about 18-30 tokens
beyond what a docx of the same size adds). An assumption, widening bounds only."""

TEXT_TOKENS_PER_BYTE_UPPER: Final = 1
"""Without the ``[pdf]`` extra the text layer is unknown: bounded by one token per byte of the
file (the recorded PDFs have 0.0002 to 0.04)."""


@dataclass(frozen=True, slots=True)
class FileEstimate:
    """The estimate for one file part. Never holds the file's content; its name only when a
    client opts in (``record_file_names=True``)."""

    index: int
    """0-based position among the request's files."""
    location: str
    source: Literal["file_data", "file_id", "file_url"]
    kind: str | None
    """``pdf``, ``docx``, ``xlsx``, ``pptx``, ``text``; ``None`` when the bytes are unknown."""
    mime: str | None
    sha256: str | None
    n_bytes: int | None
    pages: int | None
    detail: str
    """The rendering billed: ``low`` or ``high`` (``auto`` resolved for the model)."""
    text_tokens: int | None
    """Text-layer / text tokens; ``None`` when unknown (a PDF without the extra, ids, URLs)."""
    page_tokens: int
    """Central estimate of what the pages add (page images and per-file wrapper)."""
    tokens: int
    """Central estimate of the whole file: ``(text_tokens or 0) + page_tokens``."""
    lower: int
    upper: int | None
    """``None``: no bound (bytes unknown, or an Office document with more text than is read)."""
    exact: bool
    rule: str
    """Which row was used: ``api/kind/detail@since`` (``verified`` or not in ``notes``)."""
    notes: tuple[str, ...] = ()
    filename: str | None = None
    """The part's ``filename`` (control characters escaped, URLs redacted, elided), only in the
    reports of a client made with ``record_file_names=True``; the estimate never sets it."""


def file_rule_for(
    api: Api, kind: RowKind, detail: RowDetail, as_of: str | None = None
) -> FilePageRule:
    """The newest row for (api, kind, detail) that started on or before ``as_of`` (ISO date);
    the low row then in force for a detail that had no row yet; the table's first row for a
    date before it.

    >>> row = file_rule_for("chat.completions", "pdf", "low", as_of="2025-12-01")
    >>> row.per_page, row.beside_text
    (212, 4)
    >>> file_rule_for("chat.completions", "pdf", "low").since
    '2026-03-03'
    """
    same = [r for r in FILE_PAGE_RULES if r.api == api and r.kind == kind]
    if not same:  # Chat has only PDF rows (documents are refused there): Responses' rows
        same = [r for r in FILE_PAGE_RULES if r.api == "responses" and r.kind == kind]
    for billed_as in (detail, "low"):  # before a detail had rows of its own it was billed low
        row = in_force([r for r in same if r.detail == billed_as], as_of)
        if row is not None:
            return row
    return min(same, key=lambda r: r.since)  # a bill dated before the table: its first row


def _billed_detail(api: Api, model: str, detail: object) -> RowDetail:
    if api == "chat.completions" or detail == "low":
        return "low"
    if detail == "high":
        return "high"
    return "high" if model.startswith(AUTO_IS_HIGH_FROM) else "low"


def estimate_file(
    api: Api,
    model: str,
    ref: FileRef,
    info: FileInfo | None,
    *,
    as_of: str | None = None,
    beside_text: bool = True,
) -> FileEstimate:
    """Estimate one file part from its ``FileInfo`` (``None`` when only referenced);
    ``beside_text``: the content holding it also holds a text part (the row's ``beside_text``
    tokens are paid).

    >>> from openai_vision_ext._files import inspect_file
    >>> from openai_vision_ext._walk import iter_file_refs
    >>> req = {"input": [{"type": "input_file", "file_data": "data:application/pdf;base64,"}]}
    >>> ref = next(iter_file_refs("responses", req))
    >>> est = estimate_file("responses", "gpt-4o", ref, inspect_file(make_pdf()),
    ...                     as_of="2026-01-01")
    >>> est.tokens, est.lower, est.upper, est.exact
    (4, 4, 4, True)
    """
    detail = _billed_detail(api, model, ref.detail)
    source: Literal["file_data", "file_id", "file_url"] = (
        "file_data"
        if isinstance(ref.file_data, str)
        else "file_id"
        if isinstance(ref.file_id, str)
        else "file_url"
    )
    kind: RowKind = "pdf" if info is None or info.kind == "pdf" else "document"
    if info is None and api == "responses":
        kind = "pdf"  # unknown: bounded below by the cheapest (documents are not cheaper)
    row = file_rule_for(api, kind, detail, as_of)
    name = f"{row.api}/{row.kind}/{row.detail}@{row.since}"
    notes: list[str] = []
    if not row.verified:
        notes.append(f"file rule {name} is not verified by bills ({row.bills} fitted)")
    joined = row.beside_text if beside_text else 0
    if info is None:
        pages_lo = 1 if kind == "pdf" else 0
        lower = row.per_file_range[0] + pages_lo * row.per_page_range[0] + joined
        notes.append(f"file {ref.index} is given by {source}: its size is unknown, no upper bound")
        return FileEstimate(
            ref.index,
            ref.location,
            source,
            None,
            None,
            None,
            None,
            None,
            detail,
            None,
            row.per_file + pages_lo * row.per_page + joined,
            row.per_file + pages_lo * row.per_page + joined,
            lower,
            None,
            False,
            name,
            tuple(notes),
        )
    pages = info.pdf.pages if info.pdf is not None else 0
    per_page, page_lo, page_hi = row.per_page, row.per_page_range[0], row.per_page_range[1]
    if row.render_image_rule and info.pdf is not None:
        per_page = page_hi = _rendered_page_tokens(model, info)
        page_lo = 0
        notes.append(
            f"detail=high pages priced as {model}'s image rule on a {HIGH_DETAIL_RENDER_DPI} dpi "
            "render (undocumented; no bill yet)"
        )
    page_tokens = row.per_file + pages * per_page + joined
    verified_pages = min(pages, row.pages_verified)
    lower = row.per_file_range[0] + verified_pages * page_lo + joined
    upper: int | None = row.per_file_range[1] + pages * page_hi + joined
    text = info.text_tokens
    exact = (
        row.verified
        and model.startswith(row.models)
        and pages <= row.pages_verified
        and text is not None
    )
    if row.verified and not model.startswith(row.models):
        notes.append(f"file rule {name} is verified on {', '.join(row.models)}, not {model}")
    if pages > row.pages_verified:
        notes.append(
            f"file {ref.index} has {pages} pages; bills back this rule for up to "
            f"{row.pages_verified}: pages past that are bounds only"
        )
    if text is not None:
        lower += text
        upper = None if upper is None else upper + text
        upper, more = _document_bounds(ref.index, info, upper)
        notes.extend(more)
        empty = info.pdf.page_text_tokens.count(0) if info.pdf is not None else 0
        if empty and not (row.verified and row.api == "responses"):
            upper = None if upper is None else upper + empty * EMPTY_PAGE_TEXT_UPPER
            exact = False
            notes.append(
                f"file {ref.index} has {empty} page(s) without a text layer (scans?); if OpenAI "
                f"reads them, up to about {EMPTY_PAGE_TEXT_UPPER} tokens a page more"
            )
    elif info.kind == "pdf":
        upper = None if upper is None else upper + info.n_bytes * TEXT_TOKENS_PER_BYTE_UPPER
        notes.append(
            f"file {ref.index}: text layer unknown without the [pdf] extra "
            "(pip install 'openai-vision-ext[pdf]'): bounded by the file's size"
        )
    else:  # only a PDF's text can be unknown (inspect_file reads every other kind's text)
        upper = None
        notes.append(f"file {ref.index} is {info.kind}: its text is not known, no upper bound")
    tokens = (text or 0) + page_tokens
    if exact:
        lower = upper = tokens
    return FileEstimate(
        ref.index,
        ref.location,
        source,
        info.kind,
        info.mime,
        info.sha256,
        info.n_bytes,
        pages if info.pdf is not None else None,
        detail,
        text,
        page_tokens,
        tokens,
        lower,
        upper,
        exact,
        name,
        tuple(notes),
    )


def _document_bounds(index: int, info: FileInfo, upper: int | None) -> tuple[int | None, list[str]]:
    """``upper`` widened for what an Office document's text count cannot see, with notes."""
    facts = info.document
    if facts is None:
        return upper, []
    notes = [
        f"file {index} is {info.kind}: its text is counted as extracted here (OpenAI's "
        "extraction format is undocumented)"
    ]
    if facts.truncated:
        notes.append(f"file {index} has more text than is read (a lower bound): no upper bound")
        return None, notes
    if facts.sheets_cut:
        notes.append(
            f"file {index}: {facts.sheets_cut} sheet(s) longer than 1,000 rows; the API parses "
            "the first 1,000 rows of a sheet, and only those are counted"
        )
    if facts.sheets and upper is not None:
        upper += facts.sheets * SPREADSHEET_SUMMARY_UPPER
        notes.append(
            f"file {index}: the API adds a generated summary and header metadata per sheet "
            f"(undocumented size): bounded by {SPREADSHEET_SUMMARY_UPPER:,} tokens a sheet"
        )
    return upper, notes


def _rendered_page_tokens(model: str, info: FileInfo) -> int:
    """Most tokens a page can take as an image: the model's own rule on the assumed render."""
    assert info.pdf is not None
    sizes: Sequence[tuple[float, float]] = info.pdf.page_sizes_pt or ((612.0, 792.0),)
    rule = get_model_rule(model)
    scale = HIGH_DETAIL_RENDER_DPI / 72
    return max(
        image_tokens(rule, max(1, round(w * scale)), max(1, round(h * scale)), "high")
        for w, h in sizes
    )
