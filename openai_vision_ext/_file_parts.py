"""Build the SDK's file content parts (PDFs, documents, text) from any file source.

``file_part`` returns the Responses API's ``ResponseInputFileParam`` (``input_file``);
``chat_file_part`` returns Chat Completions' ``File`` part (``type: "file"``). Both are the SDK's
own TypedDicts.

* A local source (path, bytes, binary file) is sniffed from its bytes (never its name: see
  ``_files``), checked (a PDF must open, have sane pages and no password; the file must be
  within the per-file byte limit) and becomes a base64 ``data:`` URL with the sniffed MIME type.
* A ``data:`` URL is decoded, checked the same way (its declared MIME must match the bytes) and
  passed through unchanged.
* An ``http(s)://`` URL becomes ``file_url`` (Responses only; nothing is fetched).
* ``file_id=`` names an uploaded file.

``filename`` is optional: without it the part gets a neutral ``document.<ext>`` from the
sniffed kind, so the user's own file name is only sent when they pass it.
``detail`` is only for PDFs on the Responses API (the API's own rule).
"""

from __future__ import annotations

import binascii
import os
from typing import IO, Final, Literal, TypeAlias

from openai.types.chat.chat_completion_content_part_param import File
from openai.types.responses.response_input_file_param import ResponseInputFileParam

from ._dataurl import is_data_url
from ._exceptions import (
    FileDataURLError,
    FileSourceError,
    FileTooLargeError,
    ImageSourceError,
    InvalidDetailError,
    UnsupportedFileTypeError,
)
from ._files import DEFAULT_FILE_LIMITS, FileInfo, decode_file_data_url, inspect_file, mime_agrees
from ._types import describe_bytes

__all__ = ["FILE_DETAILS", "FileDetail", "FileSource", "chat_file_part", "file_part"]

FileDetail: TypeAlias = Literal["auto", "low", "high"]
"""The ``detail`` of a Responses ``input_file`` part (PDFs only)."""

FILE_DETAILS: Final[tuple[str, ...]] = ("auto", "low", "high")

FileSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]"
"""What ``file_part`` takes: a path, bytes, a binary file, a ``data:`` URL or an http(s) URL."""


def file_part(
    source: FileSource | None = None,
    *,
    file_id: str | None = None,
    detail: FileDetail | None = None,
    filename: str | None = None,
) -> ResponseInputFileParam:
    """A Responses API ``input_file`` part from a file source, a URL or an uploaded ``file_id``.

    >>> part = file_part(make_pdf(), detail="low")
    >>> part["file_data"][:40], part["filename"], part["detail"]
    ('data:application/pdf;base64,JVBERi0xLjQK', 'document.pdf', 'low')
    >>> file_part("https://example.com/report.pdf")
    {'type': 'input_file', 'file_url': 'https://example.com/report.pdf'}
    >>> file_part(file_id="file-abc123", detail="high")
    {'type': 'input_file', 'file_id': 'file-abc123', 'detail': 'high'}
    >>> file_part(b"plain notes", detail="high")
    Traceback (most recent call last):
    ...
    openai_vision_ext.InvalidDetailError: detail applies only to PDFs; this file \
is text (text/plain): leave detail out
    """
    if detail is not None and detail not in FILE_DETAILS:
        raise InvalidDetailError(
            f"a file's detail must be one of 'auto', 'low', 'high', not {detail!r}"
        )
    part: ResponseInputFileParam = {"type": "input_file"}
    if _one_of(source, file_id, "file_part") == "file_id":
        part["file_id"] = file_id
    elif isinstance(source, str) and source[:8].lower().startswith(("http://", "https://")):
        part["file_url"] = source
    else:
        info, url = _data_url(source)
        if detail is not None and info.kind != "pdf":
            raise InvalidDetailError(
                f"detail applies only to PDFs; this file is {info.kind} ({info.mime}): "
                "leave detail out"
            )
        part["file_data"] = url
        part["filename"] = filename or f"document.{info.extension}"
        filename = None
    if filename is not None:
        part["filename"] = filename
    if detail is not None:
        part["detail"] = detail
    return part


def chat_file_part(
    source: FileSource | None = None, *, file_id: str | None = None, filename: str | None = None
) -> File:
    """A Chat Completions ``file`` part: PDFs only, as bytes or an uploaded ``file_id``.

    >>> part = chat_file_part(make_pdf(), filename="invoice.pdf")
    >>> part["type"], part["file"]["filename"], part["file"]["file_data"][:28]
    ('file', 'invoice.pdf', 'data:application/pdf;base64,')
    >>> chat_file_part(b"# notes")
    Traceback (most recent call last):
    ...
    openai_vision_ext.UnsupportedFileTypeError: Chat Completions accepts only PDF \
files, and this is text (text/plain); use the Responses API (file_part) or convert it to PDF
    """
    if _one_of(source, file_id, "chat_file_part") == "file_id":
        assert file_id is not None
        inner: dict[str, str] = {"file_id": file_id}
    else:
        if isinstance(source, str) and source[:8].lower().startswith(("http://", "https://")):
            raise FileSourceError(
                "Chat Completions file parts take no URL; pass the file's bytes or path, upload "
                "it and pass file_id=, or use the Responses API (file_part), which takes file_url"
            )
        info, url = _data_url(source)
        if info.kind != "pdf":
            raise UnsupportedFileTypeError(
                f"Chat Completions accepts only PDF files, and this is {info.kind} ({info.mime}); "
                "use the Responses API (file_part) or convert it to PDF",
                detected=info.kind,
            )
        inner = {"file_data": url, "filename": filename or f"document.{info.extension}"}
        filename = None
    if filename is not None:
        inner["filename"] = filename
    return {"type": "file", "file": inner}  # type: ignore[typeddict-item]  # FileFile's keys


def _one_of(source: object, file_id: object, name: str) -> Literal["source", "file_id"]:
    if (source is None) == (file_id is None):
        raise FileSourceError(
            f"{name}() needs exactly one of a file source or file_id=, "
            f"got {'both' if file_id is not None else 'neither'}"
        )
    if file_id is not None and (not isinstance(file_id, str) or not file_id):
        raise FileSourceError(f"file_id must be a non-empty string, not {file_id!r}")
    return "source" if file_id is None else "file_id"


def _data_url(source: object) -> tuple[FileInfo, str]:
    """The checked file behind ``source`` and the data URL to send (a given one unchanged)."""
    limit = DEFAULT_FILE_LIMITS.max_file_bytes
    if is_data_url(source):
        declared, decoded = decode_file_data_url(source)
        info = _checked(decoded, limit)
        if not mime_agrees(declared, info):
            raise FileDataURLError(
                f"the data URL declares {declared!r} but its bytes are {info.kind} ({info.mime}); "
                "fix the MIME type (file_part(bytes) sets it from the bytes)"
            )
        return info, source
    if isinstance(source, str | os.PathLike):
        try:
            size = os.stat(source).st_size
        except OSError as exc:
            raise FileSourceError(
                f"cannot read the file: {exc.strerror or type(exc).__name__}; check the path"
            ) from None
        _check_size(size, limit)
    from ._image.sources import read_source

    try:
        data: bytes | bytearray | memoryview = read_source(source)
    except ImageSourceError as exc:
        raise FileSourceError(f"cannot read the file: {exc}") from None
    info = _checked(data, limit)
    encoded = binascii.b2a_base64(data, newline=False)
    del data
    return info, f"data:{info.mime};base64,{encoded.decode('ascii')}"


def _checked(data: bytes | bytearray | memoryview, limit: int) -> FileInfo:
    _check_size(memoryview(data).nbytes, limit)
    return inspect_file(data)


def _check_size(n_bytes: int, limit: int) -> None:
    if n_bytes > limit:
        raise FileTooLargeError(
            f"the file is {n_bytes:,} bytes, over the per-file limit of {describe_bytes(limit)}; "
            "split it or upload a smaller version",
            n_bytes=n_bytes,
            limit=limit,
        )
