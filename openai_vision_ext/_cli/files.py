"""The command line's file inputs: documents among the paths, their estimates and problems.

``estimate`` and ``validate`` take PDFs and Office documents beside images: a path whose bytes
start like a PDF (``%PDF-``) or a zip (docx/xlsx/pptx) is a document; everything else stays
with the image commands. Each document becomes the part the API would get (``file_part`` /
``chat_file_part``), alone in a request, and goes through the same preflight and estimate as
the client's requests. Output never holds a document's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import FileError, OpenAIVisionExtError
from .._types import Api

__all__ = ["DocumentRow", "document_problems", "estimate_documents", "split_documents"]

_DOCUMENT_HEADS = (b"%PDF-", b"PK\x03\x04")


def split_documents(paths: Iterable[Path]) -> tuple[list[Path], tuple[Path, ...]]:
    """(documents, other paths): regular files whose first bytes are a PDF or a zip.

    >>> split_documents([Path("no/such/file")])
    ([], (PosixPath('no/such/file'),))
    """
    documents: list[Path] = []
    rest: list[Path] = []
    for path in paths:
        try:
            with path.open("rb") as fh:
                head = fh.read(1024) if path.is_file() else b""
        except OSError:
            head = b""
        is_doc = head.startswith(_DOCUMENT_HEADS) or (b"%PDF-" in head and head[:1] != b"\x89")
        (documents if is_doc else rest).append(path)
    return documents, tuple(rest)


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """One document's estimate (or why there is none)."""

    path: str
    kind: str | None
    n_bytes: int | None
    pages: int | None
    text_tokens: int | None
    page_tokens: int | None
    tokens: int | None
    lower: int | None
    upper: int | None
    exact: bool
    rule: str | None
    problem: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (no text, no bytes)."""
        return {name: getattr(self, name) for name in self.__slots__}


def _request(api: Api, model: str, part: Any) -> dict[str, Any]:
    if api == "chat.completions":
        return {"model": model, "messages": [{"role": "user", "content": [part]}]}
    return {"model": model, "input": [{"role": "user", "content": [part]}]}


def _part(api: Api, path: Path, detail: str | None) -> Any:
    from .._file_parts import chat_file_part, file_part

    if api == "chat.completions":
        return chat_file_part(path)
    return file_part(path, detail=detail if detail in ("low", "high") else None)  # type: ignore[arg-type]


def estimate_documents(
    paths: Sequence[Path], *, model: str, api: Api, detail: str | None
) -> list[DocumentRow]:
    """One row per document, estimated as the only file of a request (file tokens only)."""
    from .._estimate import estimate_request

    rows = []
    for path in paths:
        try:
            body = _request(api, model, _part(api, path, detail))
            est = estimate_request(api=api, **body)
        except OpenAIVisionExtError as exc:
            rows.append(
                DocumentRow(
                    str(path), None, None, None, None, None, None, None, None, False, None, str(exc)
                )
            )
            continue
        (f,) = est.files
        rows.append(
            DocumentRow(
                str(path),
                f.kind,
                f.n_bytes,
                f.pages,
                f.text_tokens,
                f.page_tokens,
                f.tokens,
                f.lower,
                f.upper,
                f.exact,
                f.rule,
                None,
            )
        )
    return rows


def document_problems(
    paths: Sequence[Path], *, model: str, api: Api, detail: str | None
) -> list[tuple[str, str, str]]:
    """(path, code, message) for every problem preflight finds in each document."""
    from .._file_preflight import _CODES
    from .._preflight import check_request

    found = []
    for path in paths:
        try:
            part = _part(api, path, detail)
        except FileError as exc:
            code = next((c for cls, c in _CODES if isinstance(exc, cls)), "unreadable_file")
            found.append((str(path), code, str(exc)))
            continue
        except OpenAIVisionExtError as exc:
            found.append((str(path), "invalid_file", str(exc)))
            continue
        outcome = check_request(api, model, _request(api, model, part))
        found += [(str(path), v.code, v.message) for v in outcome.violations]
    return found


def print_documents(rows: Sequence[DocumentRow], echo: Any) -> None:
    """A plain table of the documents' estimates (``echo`` prints one line)."""
    echo("documents (file tokens only; text and framing of the request come on top):")
    for r in rows:
        if r.problem is not None:
            echo(f"  {r.path}: {r.problem}")
            continue
        bounds = f"{r.lower}..{r.upper if r.upper is not None else '?'}"
        echo(
            f"  {r.path}: {r.kind}, {r.pages if r.pages is not None else '-'} page(s), "
            f"{r.n_bytes:,} bytes: {r.tokens:,} tokens (text {r.text_tokens}, pages "
            f"{r.page_tokens}), bounds {bounds}, {'exact' if r.exact else 'not exact'}, "
            f"rule {r.rule}"
        )
