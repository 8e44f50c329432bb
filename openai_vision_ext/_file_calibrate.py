"""PURE: replay real file bills (``real-usage/file_inputs.jsonl`` records) through the estimate.

Each record's ``request_skeleton`` (payloads elided) is estimated with the files' recorded facts
(kind, bytes, sha256, pages, page sizes, text-layer tokens) and the file rule rows of the bill's
date; the result says whether the bill falls within ``[lower, upper]`` and whether it equals the
central estimate. :func:`file_calibration_table` renders one table per API. Nothing here reads
files: callers pass the parsed JSON records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._calibrate import Outcome, evaluate, observation_from_record
from ._dated import bill_day
from ._estimate import estimate_with_infos
from ._files import FILE_MIME_TYPES, FileInfo, FileKind, PdfFacts
from ._types import Api

__all__ = ["FileBill", "file_bill", "file_calibration_table", "round_trip_outcomes"]


@dataclass(frozen=True, slots=True)
class FileBill:
    """One real file bill beside its estimate."""

    id: str
    api: Api
    model: str
    date: str
    billed: int
    estimate: int | None
    lower: int | None
    upper: int | None
    rule: str | None
    """The file rule row used (``api/kind/detail@since``)."""
    exact_claimed: bool
    excluded: str | None
    """Why the bill is not counted (images, tools, server state, flagged), or ``None``."""

    @property
    def within(self) -> bool:
        """The bill lies within the estimate's bounds."""
        return (
            self.lower is not None
            and self.lower <= self.billed
            and (self.upper is None or self.billed <= self.upper)
        )

    @property
    def hit(self) -> bool:
        """The central estimate equals the bill."""
        return self.estimate == self.billed


def _kind(mime: str | None) -> FileKind | None:
    for kind, known in FILE_MIME_TYPES.items():
        if mime == known:
            return kind
    return "text" if mime and mime.startswith("text/") else None


def _file_info(file: Mapping[str, Any]) -> FileInfo | None:
    kind = _kind(file.get("mime"))
    if kind is None or not file.get("bytes_known"):  # inline, or a recorded upload/download
        return None
    pdf = file.get("pdf")
    facts = None
    if kind == "pdf" and isinstance(pdf, Mapping):
        facts = PdfFacts(
            pages=pdf["pages"],
            page_sizes_pt=tuple((float(w), float(h)) for w, h in pdf.get("page_sizes_pt") or ()),
            text_chars=pdf.get("text_chars"),
            text_tokens=pdf.get("text_tokens_o200k"),
            page_text_tokens=tuple(pdf.get("page_text_tokens_o200k") or ()),
            reader="pdfium",
        )
    tokens = facts.text_tokens if facts else None
    if kind == "text":
        tokens = file.get("text_tokens_o200k")
    return FileInfo(
        kind=kind,
        mime=FILE_MIME_TYPES[kind],
        n_bytes=file["bytes_len"],
        sha256=file.get("sha256") or "",
        pdf=facts,
        text_tokens=tokens,
    )


def _excluded(record: Mapping[str, Any]) -> str | None:
    if record.get("images"):
        return "carries images (their bytes are elided)"
    if record.get("has_tools") or record.get("format"):
        return "tools or response format"
    if record.get("server_side_tool_calls") or record.get("server_state"):
        return "server-side state"
    if record.get("sanity_flags"):
        return "flagged: " + ", ".join(record["sanity_flags"])
    return None


def file_bill(record: Mapping[str, Any]) -> FileBill:
    """Estimate one ``file_inputs.jsonl`` record with the rules of its date.

    >>> bill = file_bill({"id": "x", "api": "responses", "model": "gpt-4o",
    ...     "source_commit_date": "2026-02-07T00:00:00Z", "usage": {"input_tokens": 29},
    ...     "request_skeleton": {"input": [{"role": "user", "content": [
    ...         {"type": "input_text",
    ...          "text": "What text is in this PDF document? Reply in one short sentence."},
    ...         {"type": "input_file", "file_data": "...", "filename": "document.pdf"}]}]},
    ...     "files": [{"mime": "application/pdf", "bytes_known": True, "source": "file_data",
    ...         "bytes_len": 591, "pdf": {"pages": 1, "text_tokens_o200k": 4,
    ...         "page_text_tokens_o200k": [4]}}]})
    >>> bill.estimate, bill.billed, bill.within, bill.exact_claimed
    (29, 29, True, True)
    """
    usage = record.get("usage") or {}
    billed = int(usage.get("input_tokens", usage.get("prompt_tokens", 0)))
    date = bill_day(record.get("response_created"), record.get("source_commit_date")) or ""
    api: Api = record["api"]
    base = FileBill(
        str(record.get("id")),
        api,
        str(record["model"]),
        date,
        billed,
        None,
        None,
        None,
        None,
        False,
        _excluded(record),
    )
    if base.excluded:
        return base
    skeleton = dict(record["request_skeleton"])
    skeleton.pop("model", None)
    infos = [_file_info(f) for f in record.get("files") or ()]
    try:
        est = estimate_with_infos(
            api, base.model, skeleton, [], file_infos=infos, as_of=date or None
        )
    except Exception as exc:  # an unknown model or a request shape the estimate refuses
        return replace(base, excluded=f"not estimable: {type(exc).__name__}")
    lower = est.input_tokens - est.file_tokens + sum(f.lower for f in est.files)
    uppers = [f.upper for f in est.files]
    upper = (
        None
        if any(u is None for u in uppers)
        else est.input_tokens - est.file_tokens + sum(u or 0 for u in uppers)
    )
    if not est.exact:
        lower, upper = min(lower, est.input_tokens), upper
    return FileBill(
        base.id,
        api,
        base.model,
        date,
        billed,
        est.input_tokens,
        lower,
        upper,
        ", ".join(sorted({f.rule for f in est.files})),
        est.exact,
        None,
    )


def round_trip_outcomes(records: Iterable[Mapping[str, Any]]) -> list[Outcome]:
    """The records with tools (which ``file_bill`` does not score), each estimated with its
    files' recorded facts: pydantic-ai's and ruby_llm's tool round trips, on which the tool
    rules' error bands are measured too (``_calibrate.measured_bands``)."""
    return [
        evaluate(observation_from_record(r), [_file_info(f) for f in r.get("files") or ()] or None)
        for r in records
        if r.get("has_tools")
    ]


def file_calibration_table(bills: Sequence[FileBill]) -> str:
    """Markdown: per API and file rule row, bills counted, within bounds, equal, exact claimed.

    >>> print(file_calibration_table([]))
    | API | file rule | bills | within bounds | estimate = bill | exact claimed (all equal) |
    | --- | --- | ---: | ---: | ---: | --- |
    """
    lines = [
        "| API | file rule | bills | within bounds | estimate = bill | exact claimed (all equal) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    groups: dict[tuple[str, str], list[FileBill]] = {}
    for bill in bills:
        if bill.excluded is None and bill.rule:
            groups.setdefault((bill.api, bill.rule), []).append(bill)
    for (api, rule), members in sorted(groups.items()):
        claimed = [b for b in members if b.exact_claimed]
        lines.append(
            f"| {api} | {rule} | {len(members)} | {sum(b.within for b in members)} | "
            f"{sum(b.hit for b in members)} | {len(claimed)} "
            f"({'yes' if all(b.hit for b in claimed) else 'NO'}) |"
        )
    return "\n".join(lines)


def excluded_bills(bills: Iterable[FileBill]) -> list[FileBill]:
    """The bills not counted, with their reason."""
    return [b for b in bills if b.excluded is not None]
