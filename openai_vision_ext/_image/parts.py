"""Build the SDK's image content parts from any image source.

``image_part`` returns the Responses API's ``ResponseInputImageParam``; ``image_url_part`` returns
Chat Completions' ``ChatCompletionContentPartImageParam``. Both are the SDK's own TypedDicts.

* A local source (path, bytes, binary file, PIL image) is inspected from its bytes (never its
  file name), checked (supported, still, not empty, within the per-image byte limit) and
  becomes a base64 ``data:`` URL with the sniffed MIME type. A path is opened once and checked
  from its header first, so a file that cannot be sent is refused by name before it is read.
  Every data URL built here is remembered with its ``ImageInfo`` (``images.remember_built``):
  preflight and the estimate never parse or decode it again.
* An ``http(s)://`` URL is passed through unchanged (nothing is fetched); any other
  ``scheme://`` is a ``FetchURLError``, as in ``prepare_image``.
* A ``data:`` URL is checked from its first kilobytes (including its declared MIME against the
  bytes) and passed through unchanged. ``image/jpg`` is accepted as an alias of ``image/jpeg``.
* ``optimize=True``, ``model=`` or ``fetch=True`` hand the source to ``prepare_image``, which
  can shrink, convert and download.

The only I/O is reading the source (``sources``).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .._exceptions import ImageSourceError, InvalidOptionError
from .._preflight import DEFAULT_LIMITS
from .._types import Detail, ImageInfo, ImageSource, check_detail
from .images import check_sendable, inspect_data_url, is_data_url, remember_built
from .sources import http_url, read_checked
from .strip import has_gps

if TYPE_CHECKING:  # the SDK and Pillow are imported only when needed
    from openai.types.chat.chat_completion_content_part_image_param import (
        ChatCompletionContentPartImageParam,
    )
    from openai.types.responses.response_input_image_param import ResponseInputImageParam

    from .._budget import Prefer
    from .fetch import FetchOptions
    from .prepare import AnimatedPolicy

__all__ = ["build_data_url", "check_detail", "image_part", "image_url_part"]


def build_data_url(data: bytes | bytearray | memoryview, mime: str) -> str:
    """Encode image bytes as a ``data:<mime>;base64,...`` URL, fast and with little memory.

    Peak memory is about twice the URL's length: the encoded bytes are released before the
    final string is assembled.

    >>> build_data_url(b"GIF89a", "image/gif")
    'data:image/gif;base64,R0lGODlh'
    """
    encoded = binascii.b2a_base64(data, newline=False)
    payload = encoded.decode("ascii")
    del encoded
    return f"data:{mime};base64,{payload}"


def image_part(
    source: ImageSource | None = None,
    *,
    detail: Detail = "auto",
    file_id: str | None = None,
    optimize: bool = False,
    model: str | None = None,
    fetch: bool = False,
    animated: AnimatedPolicy = "reject",
    keep_metadata: bool = False,
    jpeg_quality: int = 85,
    fetch_options: FetchOptions | None = None,
    max_tokens: int | None = None,
    max_usd: float | None = None,
    min_side: int | None = None,
    prefer: Prefer = "size",
) -> ResponseInputImageParam:
    """A Responses API ``input_image`` part from an image source or an uploaded ``file_id``.

    Exactly one of ``source`` and ``file_id``. See the module docstring for how each source is
    treated. ``optimize``, ``model``, ``fetch``, ``animated="first_frame"``, ``keep_metadata``,
    ``jpeg_quality`` and ``fetch_options`` go to :func:`prepare_image` (which also converts
    HEIC, TIFF, BMP, ... to a format OpenAI accepts). ``max_tokens``/``max_usd`` (with
    ``model``, ``min_side``, ``prefer``) fit the image to a budget there; the part then carries
    the chosen ``detail``.

    >>> image_part("https://example.com/cat.png", detail="low")
    {'type': 'input_image', 'image_url': 'https://example.com/cat.png', 'detail': 'low'}
    >>> image_part(file_id="file-abc123")
    {'type': 'input_image', 'file_id': 'file-abc123', 'detail': 'auto'}
    >>> import base64
    >>> gif = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
    >>> image_part(gif, detail="low")["image_url"][:40]
    'data:image/gif;base64,R0lGODdhAQABAIAAAA'
    """
    checked = check_detail(detail)
    if (source is None) == (file_id is None):
        raise ImageSourceError(
            "image_part() needs exactly one of an image source or file_id=, "
            f"got {'both' if file_id is not None else 'neither'}"
        )
    prepare = _PrepareArgs.of(locals())
    if file_id is not None:
        if not isinstance(file_id, str) or not file_id:
            raise ImageSourceError(f"file_id must be a non-empty string, not {file_id!r}")
        if prepare.fitting:
            raise InvalidOptionError("a file_id image cannot be fitted to max_tokens/max_usd")
        return {"type": "input_image", "file_id": file_id, "detail": checked}
    url, sent_detail = _image_url(source, detail=checked, prepare=prepare)
    return {"type": "input_image", "image_url": url, "detail": sent_detail}


def image_url_part(
    source: ImageSource,
    *,
    detail: Detail = "auto",
    optimize: bool = False,
    model: str | None = None,
    fetch: bool = False,
    animated: AnimatedPolicy = "reject",
    keep_metadata: bool = False,
    jpeg_quality: int = 85,
    fetch_options: FetchOptions | None = None,
    max_tokens: int | None = None,
    max_usd: float | None = None,
    min_side: int | None = None,
    prefer: Prefer = "size",
) -> ChatCompletionContentPartImageParam:
    """A Chat Completions ``image_url`` content part; sources as for :func:`image_part`.

    >>> image_url_part("https://example.com/cat.png", detail="high")
    {'type': 'image_url', 'image_url': {'url': 'https://example.com/cat.png', 'detail': 'high'}}
    """
    checked = check_detail(detail)
    prepare = _PrepareArgs.of(locals())
    url, sent_detail = _image_url(source, detail=checked, prepare=prepare)
    return {"type": "image_url", "image_url": {"url": url, "detail": sent_detail}}


class _PrepareArgs(NamedTuple):
    """The ``prepare_image`` options of ``image_part``; any non-default one means preparing."""

    optimize: bool
    model: str | None
    fetch: bool
    animated: AnimatedPolicy
    keep_metadata: bool
    jpeg_quality: int
    fetch_options: FetchOptions | None
    max_tokens: int | None
    max_usd: float | None
    min_side: int | None
    prefer: Prefer

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> _PrepareArgs:
        """The options from a call's arguments (``locals()`` of ``image_part`` and
        ``image_url_part``, whose keyword names are these fields)."""
        return cls(*(arguments[name] for name in cls._fields))

    @property
    def fitting(self) -> bool:
        return self.max_tokens is not None or self.max_usd is not None

    @property
    def wanted(self) -> bool:
        return (
            self.fitting
            or self.min_side is not None
            or self.prefer != "size"
            or self.optimize
            or self.model is not None
            or self.fetch
            or self.animated != "reject"
            or self.keep_metadata
        )


def _image_url(source: object, *, detail: Detail, prepare: _PrepareArgs) -> tuple[str, Detail]:
    """The URL to send and the detail to send it at (a budget fit may choose the detail)."""
    if source is None:
        raise ImageSourceError("no image source given (None)")
    if prepare.wanted:
        return _prepared_url(source, detail=detail, prepare=prepare)
    return _plain_url(source), detail


def _plain_url(source: object) -> str:
    max_bytes = DEFAULT_LIMITS.max_image_bytes
    if isinstance(source, str):
        if is_data_url(source):
            info = inspect_data_url(source)
            check_sendable(info, max_bytes=max_bytes, label="the data URL's image")
            return source
        if http_url(source) is not None:  # any other scheme:// raises FetchURLError
            return source

    def check(info: ImageInfo, label: str) -> None:
        check_sendable(info, max_bytes=max_bytes, label=label)

    data, info = read_checked(source, check)  # a path: one open, header checked first
    gps = has_gps(data)  # learnt here, from the bytes: preflight never decodes the URL for it
    # Release each buffer as soon as the next exists: peak stays near twice the URL's length.
    encoded = binascii.b2a_base64(data, newline=False)
    del data
    payload = encoded.decode("ascii")
    del encoded
    return remember_built(f"data:{info.mime};base64,{payload}", info, gps=gps)


def _prepared_url(source: object, *, detail: Detail, prepare: _PrepareArgs) -> tuple[str, Detail]:
    from .prepare import original_of, prepare_image  # Pillow is imported only when preparing

    prepared = prepare_image(
        source,  # type: ignore[arg-type]  # validated by prepare_image
        detail=detail,
        **prepare._asdict(),
    )
    url = prepared.image_url
    if prepared.info is not None:
        check_sendable(prepared.info, max_bytes=DEFAULT_LIMITS.max_image_bytes)
        if prepared.url is None:  # a data URL we built: never parsed again, its original known
            gps = has_gps(prepared.data)
            url = remember_built(url, prepared.info, gps=gps, original=original_of(prepared))
    return url, detail if prepared.fit is None else prepared.fit.detail
