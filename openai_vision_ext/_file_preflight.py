"""PURE: check a request's file parts (``input_file`` / ``file``) before anything is sent.

Per file: the part names a file (``file_data``, ``file_id`` or ``file_url``, as strings); Chat
Completions takes only ``file_data`` or ``file_id`` and only PDFs (the API answers 400
otherwise); ``detail`` is ``auto``/``low``/``high``, only on the Responses API and only for PDFs;
``file_data`` is a base64 data URL whose declared MIME matches its bytes; the per-file byte
limit; PDFs open (no password), are not truncated and are not bombs. Per request: the combined
bytes and, where the limit profile has one, the total page count.

Files given by ``file_id`` or ``file_url`` are not fetched: they are not checked and not in the
totals (the notes say so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._exceptions import (
    CorruptFileError,
    DocumentBombError,
    EncryptedPdfError,
    FileDataURLError,
    FileError,
    FileTooLargeError,
    PdfBombError,
    UnsupportedFileTypeError,
    Violation,
)
from ._files import (
    DEFAULT_FILE_LIMITS,
    FileInfo,
    FileLimits,
    decode_file_data_url,
    inspect_file,
    mime_agrees,
)
from ._types import Api, describe_bytes
from ._walk import FileRef, iter_file_refs

__all__ = ["FileCheck", "check_files"]

FileCheck = tuple[FileRef, FileInfo | None]
"""A file part and what is known about it (``None`` for ids, URLs and unreadable data)."""

_CODES: Final[tuple[tuple[type[FileError], str], ...]] = (
    (UnsupportedFileTypeError, "unsupported_file_type"),
    (CorruptFileError, "corrupt_file"),
    (EncryptedPdfError, "encrypted_pdf"),
    (PdfBombError, "pdf_bomb"),
    (DocumentBombError, "document_bomb"),
    (FileTooLargeError, "file_too_large"),
    (FileDataURLError, "invalid_file_data"),
)
_FILE_DETAILS: Final = ("auto", "low", "high")


def check_files(
    api: Api,
    request: Mapping[str, Any],
    *,
    limits: FileLimits = DEFAULT_FILE_LIMITS,
    refs: Sequence[FileRef] | None = None,
) -> tuple[tuple[FileCheck, ...], list[Violation], list[str]]:
    """Every file part of ``request`` with its info, the violations, and notes (``refs``: the
    file parts from the request's one walk, ``walk_request``; found here when not given).

    >>> request = {"messages": [{"role": "user", "content": [
    ...     {"type": "file", "file": {"file_data": "data:text/plain;base64,aGk="}}]}]}
    >>> _, found, _ = check_files("chat.completions", request)
    >>> [(v.code, v.file_index, v.location) for v in found]
    [('unsupported_file_type', 0, 'messages[0].content[0]')]
    """
    checks: list[FileCheck] = []
    found: list[Violation] = []
    for ref in refs if refs is not None else iter_file_refs(api, request):

        def add(code: str, message: str, ref: FileRef = ref) -> None:
            found.append(Violation(code, message, location=ref.location, file_index=ref.index))

        checks.append((ref, _check_file(api, ref, limits, add)))
    infos = [info for _, info in checks if info is not None]
    found += _request_violations(infos, limits)
    remote = sum(1 for ref, _ in checks if not isinstance(ref.file_data, str))
    notes = (
        [
            f"{remote} file{'s are' if remote != 1 else ' is'} given by file_id or file_url and "
            "not fetched: not checked, and not in the byte or page totals"
        ]
        if remote
        else []
    )
    return tuple(checks), found, notes


def _check_file(api: Api, ref: FileRef, limits: FileLimits, add: Any) -> FileInfo | None:
    chat = api == "chat.completions"
    if ref.detail is not None:
        if chat:
            add(
                "invalid_file_detail",
                "Chat Completions file parts take no detail; remove it (the Responses API's "
                "input_file takes detail for PDFs)",
            )
        elif ref.detail not in _FILE_DETAILS:
            add(
                "invalid_file_detail",
                f"a file's detail must be one of 'auto', 'low', 'high', not {ref.detail!r}",
            )
    if chat and ref.file_url is not None:
        add(
            "invalid_file_source",
            "Chat Completions file parts take file_data or file_id, not file_url; send the "
            "bytes (chat_file_part(path)) or use the Responses API",
        )
    sources = {"file_data": ref.file_data, "file_id": ref.file_id, "file_url": ref.file_url}
    given = {name: value for name, value in sources.items() if value is not None}
    if not given:
        add(
            "missing_file",
            "the file part has none of file_data, file_id or file_url; set one (file_part() "
            "builds the part)",
        )
        return None
    for name, value in given.items():
        if not isinstance(value, str) or not value:
            add("invalid_file_source", f"{name} must be a non-empty string, not {value!r}")
            return None
    if not isinstance(ref.file_data, str):
        return None
    info = _inspect(ref.file_data, limits, add)
    if info is None:
        return None
    if chat and info.kind != "pdf":
        add(
            "unsupported_file_type",
            f"Chat Completions accepts only PDF files, and this is {info.kind} ({info.mime}); "
            "the API would answer 400: use the Responses API or convert it to PDF",
        )
    if not chat and ref.detail is not None and info.kind != "pdf":
        add(
            "invalid_file_detail",
            f"detail applies only to PDFs; this file is {info.kind} ({info.mime}): remove it",
        )
    return info


def _inspect(url: str, limits: FileLimits, add: Any) -> FileInfo | None:
    try:
        declared, data = decode_file_data_url(url)
        if len(data) > limits.max_file_bytes:
            add(
                "file_too_large",
                f"the file is {len(data):,} bytes decoded, over the per-file limit of "
                f"{describe_bytes(limits.max_file_bytes)} ({limits.name} limits); split it",
            )
            return None
        info = inspect_file(data)
    except FileError as exc:
        add(next(code for cls, code in _CODES if isinstance(exc, cls)), str(exc))
        return None
    if not mime_agrees(declared, info):
        add(
            "invalid_file_data",
            f"the data URL declares {declared!r} but its bytes are {info.kind} ({info.mime}); "
            "fix the MIME type (file_part() sets it from the bytes)",
        )
    return info


def _request_violations(infos: Sequence[FileInfo], limits: FileLimits) -> list[Violation]:
    found = []
    total = sum(info.n_bytes for info in infos)
    if len(infos) > 1 and total > limits.max_total_bytes:
        found.append(
            Violation(
                "files_too_large",
                f"the request's files total {total:,} bytes, over the limit of "
                f"{describe_bytes(limits.max_total_bytes)} per request ({limits.name} limits); "
                "split the request",
            )
        )
    pages = sum(info.pdf.pages for info in infos if info.pdf is not None)
    if limits.max_pages is not None and pages > limits.max_pages:
        found.append(
            Violation(
                "too_many_pages",
                f"the request's PDFs have {pages:,} pages, over the limit of "
                f"{limits.max_pages:,} per request ({limits.name} limits); split the request",
            )
        )
    return found
