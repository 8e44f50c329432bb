"""I/O edge: turn an image source (path, bytes, binary file, PIL image) into readable bytes.

This is the only module of the image pipeline that opens files or reads file objects; what the
bytes are is decided by the pure ``images``, which this module calls (never the reverse).
:func:`inspect_image` is the public entry point. It offers these shapes of access:

* :func:`open_source` yields a :class:`SourceReader` for header-only inspection: random access
  (``read_at(offset, n)``), the total size (from ``stat`` for paths and from ``seek`` for
  seekable file objects, so a 20 MB file is not read to parse it), and the sha256 (lazy for
  paths and immutable bytes; streamed in 1 MiB chunks, never held whole, for file objects).
* :func:`scan_source` runs a header parser over a source the same way, with the least overhead
  (for paths: one ``open``, ``fstat`` and ``pread``, no :class:`pathlib.Path`).
* :func:`read_source` returns all the bytes; :func:`read_checked` too, after a check of the
  header, from one ``open`` of a path (for building a data URL).
* :func:`http_url` / :func:`is_http_url` tell a URL from a path: any ``scheme://`` other than
  http(s) is a :class:`FetchURLError`, wherever a source is accepted.

A path must name a regular file: directories, devices (``/dev/zero`` would never end) and named
pipes are refused at once (files are opened non-blocking, so a pipe never waits for a writer).

``data:`` URLs are parsed by ``images`` (from their text: nothing to read), and URLs are
never fetched here (``fetch=True`` in ``image_part`` goes through ``fetch``).

PIL images are encoded losslessly as PNG (CMYK images, which PNG cannot store, as JPEG at
quality 95). The original file's bytes are never reused, because the image may have been changed
in memory since it was opened. Animated PIL images are refused: select a frame and pass
``img.copy()``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import IO, Any, Final, Literal, TypeVar

from .._exceptions import (
    AnimatedImageError,
    FetchURLError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
)
from .._redact import elide, escape, safe
from .._types import ImageInfo, ImageSource
from .images import MIME_TYPES, Header, inspect_data_url, is_data_url, read_header

__all__ = [
    "ACCEPTED_SOURCES",
    "SourceReader",
    "encode_pil_image",
    "http_url",
    "inspect_image",
    "is_data_url",
    "is_http_url",
    "open_source",
    "read_checked",
    "read_source",
    "scan_source",
]

T = TypeVar("T")

ACCEPTED_SOURCES: Final = (
    "a file path (str or os.PathLike), bytes/bytearray/memoryview, a binary file object "
    "(open(path, 'rb'), io.BytesIO), a PIL.Image.Image, or a 'data:image/...;base64,' URL"
)
"""Human description of what an image source can be, used in error messages."""

_HEAD_SIZE: Final = 4096
"""First read from a file: enough for the header of almost every PNG, GIF and WEBP."""

_HASH_CHUNK: Final = 1 << 20

MAX_READ_BYTES: Final = 64 * 2**20
"""Most bytes of one source read into memory whole (a file to prepare, a non-seekable stream):
over three times OpenAI's 20 MB per-image limit, room for a large original that
``optimize=True`` shrinks; more is an ``ImageTooLargeError``, raised while reading."""

SourceKind = Literal["path", "bytes", "file", "pil"]


@dataclass(frozen=True, slots=True)
class SourceReader:
    """Random access to an image source's bytes, valid inside :func:`open_source`."""

    read_at: Callable[[int, int], bytes]
    """``read_at(offset, n)``: up to ``n`` bytes at ``offset`` (fewer at the end of the data)."""
    size: int
    """Total size of the encoded image in bytes."""
    sha256: str | Callable[[], str]
    """Hex digest, or a callable computing it later (usable after the ``with`` block)."""
    kind: SourceKind
    """Which kind of source this was."""
    label: str
    """Subject for error messages, e.g. ``'photo.jpg'`` or ``the image``."""


_SCHEMES: Final = frozenset({"http", "https"})


def is_http_url(value: object) -> bool:
    """True for ``http://`` and ``https://`` URL strings (any case).

    >>> is_http_url("https://example.com/cat.png"), is_http_url("cat.png")
    (True, False)
    """
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def http_url(source: str) -> str | None:
    """``source`` if it is a URL to fetch or pass through, ``None`` for a path or data URL.

    Any ``scheme://`` string other than http(s) is refused rather than mistaken for a path.

    >>> http_url("https://example.com/a.png"), http_url("photos/a.png")
    ('https://example.com/a.png', None)
    >>> http_url("ftp://example.com/a.png")
    Traceback (most recent call last):
    ...
    openai_vision_ext.FetchURLError: only http and https image URLs are supported, not ftp://; \
download it yourself and pass the bytes or a path
    """
    scheme, sep, _rest = source.partition("://")
    if not sep or not scheme.isascii() or not scheme.isalpha():
        return None
    if scheme.lower() not in _SCHEMES:
        raise FetchURLError(
            f"only http and https image URLs are supported, not {elide(scheme, 20)}://; "
            "download it yourself and pass the bytes or a path",
            url=source,
        )
    return source


def inspect_image(source: ImageSource) -> ImageInfo:
    """Describe an image from a path, bytes, binary file, PIL image or ``data:`` URL.

    Reads only the header of a file (size from ``stat``, sha256 on first access); a data URL
    is parsed from its first kilobytes. Animated images are described (``animated=True``),
    not refused: see ``check_sendable``.

    >>> import base64
    >>> b64 = "R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw=="
    >>> inspect_image("data:image/gif;base64," + b64).width
    1
    >>> gif = base64.b64decode(b64)
    >>> import hashlib
    >>> inspect_image(gif).sha256 == hashlib.sha256(gif).hexdigest()
    True
    """
    if is_data_url(source):
        return inspect_data_url(source)
    (fmt, width, height, frames), size, sha256 = scan_source(source, _read_header)
    return ImageInfo(fmt, MIME_TYPES[fmt], width, height, frames, frames > 1, size, sha256)


def _read_header(read_at: Callable[[int, int], bytes], size: int, label: str) -> Header:
    return read_header(read_at, size, label=label)


def read_checked(
    source: object, check: Callable[[ImageInfo, str], None]
) -> tuple[bytes | bytearray | memoryview, ImageInfo]:
    """All the bytes of ``source`` and their ``ImageInfo`` (sha256 included), once
    ``check(info, label)`` passed: a path is opened once and its header parsed once, and a file
    that cannot be sent is refused by name before it is read whole.

    >>> import base64
    >>> gif = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
    >>> data, info = read_checked(gif, lambda info, label: None)
    >>> (len(data), info.width, info.format)
    (37, 1, 'gif')
    """
    if isinstance(source, str | os.PathLike):
        return _read_checked_path(_fspath(source), check)
    data = read_source(source)
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    fmt, width, height, frames = read_header(
        lambda o, n: bytes(view[o : o + n]), len(view), label="the image"
    )
    digest = hashlib.sha256(view).hexdigest()
    info = ImageInfo(fmt, MIME_TYPES[fmt], width, height, frames, frames > 1, len(view), digest)
    check(info, "the image")
    return data, info


def _read_checked_path(
    path: str, check: Callable[[ImageInfo, str], None]
) -> tuple[bytes, ImageInfo]:
    fd, stat = _open_regular(path)
    try:
        size, label = stat.st_size, _label(path)
        head = _pread_fully(fd, path, min(size, _HEAD_SIZE), 0)

        def read_at(offset: int, n: int) -> bytes:
            if offset + n <= len(head):
                return head[offset : offset + n]
            return _pread_fully(fd, path, n, offset)

        header = read_header(read_at, size, label=label)
        fmt, width, height, frames = header
        mime = MIME_TYPES[fmt]
        check(ImageInfo(fmt, mime, width, height, frames, frames > 1, size, ""), label)
        data = _pread_fully(fd, path, size + 1, 0)
    finally:
        os.close(fd)
    if len(data) != size or not data.startswith(head):  # the file changed while read: the
        header = read_header(lambda o, n: data[o : o + n], len(data), label=label)  # bytes win
        fmt, width, height, frames = header
        mime = MIME_TYPES[fmt]
    digest = hashlib.sha256(data).hexdigest()
    info = ImageInfo(fmt, mime, width, height, frames, frames > 1, len(data), digest)
    check(info, label)
    return data, info


@contextmanager
def open_source(source: object) -> Iterator[SourceReader]:
    """Open ``source`` for header reads; files are closed when the block exits.

    >>> with open_source(b"GIF89a...") as src:
    ...     (src.size, src.read_at(0, 6), src.kind)
    (9, b'GIF89a', 'bytes')
    """
    if isinstance(source, str | os.PathLike):
        with _open_path(source) as reader:
            yield reader
    elif isinstance(source, bytes | bytearray | memoryview):
        yield _memory_reader(source, kind="bytes", label="the image")
    elif _is_pil_image(source):
        yield _memory_reader(encode_pil_image(source), kind="pil", label="the PIL image")
    elif _is_file_object(source):
        with _open_file_object(source) as reader:
            yield reader
    else:
        raise _unsupported_type(source)


def scan_source(
    source: object, parse: Callable[[Callable[[int, int], bytes], int, str], T]
) -> tuple[T, int, str | Callable[[], str]]:
    """Run ``parse(read_at, size, label)`` over ``source``; return its result, the size in
    bytes and the sha256 (a hex string or a callable computing it later).

    Same reads as :func:`open_source`, minus its overhead for paths (the common, hot case).

    >>> head, size, _ = scan_source(b"GIF89a...", lambda read_at, size, label: read_at(0, 6))
    >>> head, size
    (b'GIF89a', 9)
    """
    if isinstance(source, str | os.PathLike):
        return _scan_path(source, parse)
    with open_source(source) as src:
        return parse(src.read_at, src.size, src.label), src.size, src.sha256


def read_source(source: object) -> bytes | bytearray | memoryview:
    """Return the whole encoded image (no copy for in-memory buffers).

    >>> bytes(read_source(bytearray(b"GIF89a")))
    b'GIF89a'
    """
    if isinstance(source, str | os.PathLike):
        path = _fspath(source)
        fd, stat = _open_regular(path)
        try:
            if stat.st_size > MAX_READ_BYTES:
                raise _too_large(stat.st_size, _label(path))
            return _pread_fully(fd, path, stat.st_size, 0)
        finally:
            os.close(fd)
    if isinstance(source, bytes | bytearray | memoryview):
        return source
    if _is_pil_image(source):
        return encode_pil_image(source)
    if _is_file_object(source):
        stream = _checked_stream(source)
        start = _tell(stream)
        data = _read_all(stream)
        if start is not None:
            stream.seek(start)
        return data
    raise _unsupported_type(source)


# -- paths ---------------------------------------------------------------------------------

_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
"""``O_NONBLOCK``: opening a FIFO (a named pipe) must not wait for a writer; it is refused as
not a regular file right after. Reads from regular files are unaffected."""


def _fspath(source: str | os.PathLike[Any]) -> str:
    """The path as a string; URLs are refused with advice (they are never downloaded here)."""
    path = source if isinstance(source, str) else os.fsdecode(source)
    _refuse_non_path(path)
    if "://" in path[:64] and http_url(path) is not None:  # other schemes: FetchURLError
        raise ImageSourceError(
            f"{_short(path)} is a URL, and URLs are not downloaded here; pass it to "
            "image_part() as is (it is sent unchanged), or use image_part(url, fetch=True)"
        )
    if not path or "\0" in path:
        what = "empty" if not path else "not a file path (it contains a NUL character)"
        raise ImageSourceError(f"the image path {_short(path)} is {what}; pass {ACCEPTED_SOURCES}")
    return path


_MAX_PATH: Final = 4096
"""Longest path accepted (Linux's ``PATH_MAX``); a longer string is data, never a file name."""

_WRAPPED_DATA_URL: Final = re.compile(r"""\s*(?:url\(\s*)?["'`]?\s*data:""", re.IGNORECASE)
_BARE_DATA_URL: Final = re.compile(r"[\w.+-]+/[\w.+-]+;base64,", re.ASCII)


def _refuse_non_path(path: str) -> None:
    """Refuse strings that are data URLs in disguise, or too long to be a path.

    Nothing of the string is echoed: it may hold megabytes of image data."""
    if _WRAPPED_DATA_URL.match(path, 0, 64):
        what = (
            "wrapped in CSS url(...)"
            if path.lstrip()[:4].lower() == "url("
            else "wrapped in quotes"
            if path.lstrip()[:1] in "\"'`"
            else "preceded by whitespace"
        )
        raise InvalidDataURLError(
            f"this string is a data URL {what}; pass the bare 'data:image/...;base64,...' URL "
            "(strip it, e.g. text.strip().strip('\"\\'')), or the decoded bytes"
        )
    if _BARE_DATA_URL.match(path, 0, 80):
        raise InvalidDataURLError(
            "this string looks like a data URL without its 'data:' prefix "
            f"({_short(path.partition(',')[0], 40)}); prepend 'data:'"
        )
    if len(path) > _MAX_PATH:
        raise ImageSourceError(
            f"this string is {len(path):,} characters long, too long to be a file path "
            f"(at most {_MAX_PATH:,})"
            + (
                "; it looks like raw base64: pass a data URL ('data:image/png;base64,...') "
                "or the decoded bytes"
                if _looks_like_base64(path[:4096])
                else f"; pass {ACCEPTED_SOURCES}"
            )
        )


def _os_error(path: Path, exc: OSError) -> ImageSourceError:
    if _looks_like_base64(str(path)):
        return ImageSourceError(
            "this string looks like raw base64, not a file path; pass a data URL "
            "('data:image/png;base64,...') or the decoded bytes"
        )
    if isinstance(exc, FileNotFoundError):
        hint = " ('~' is not expanded: use os.path.expanduser)" if str(path)[:1] == "~" else ""
        return ImageSourceError(f"image file not found: {_shown_path(path)}; check the path{hint}")
    if isinstance(exc, IsADirectoryError) or _is_dir(path):
        return ImageSourceError(f"{_shown_path(path)} is a directory, not an image file")
    if isinstance(exc, PermissionError):
        return ImageSourceError(f"no permission to read image file {_shown_path(path)}")
    return ImageSourceError(
        f"cannot read image file {_shown_path(path)}: {exc.strerror or type(exc).__name__}"
    )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


if hasattr(os, "pread"):
    _pread = os.pread
else:  # pragma: no cover - Windows

    def _pread(fd: int, n: int, offset: int) -> bytes:
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, n)


def _open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` read-only; return the descriptor and its ``stat`` (regular files only)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise _os_error(Path(path), exc) from exc
    stat = os.fstat(fd)
    if not S_ISREG(stat.st_mode):
        os.close(fd)
        what = "a directory" if S_ISDIR(stat.st_mode) else "not a regular file"
        raise ImageSourceError(f"'{path}' is {what}, not an image file")
    return fd, stat


def _fd_reader(fd: int, path: str, size: int) -> Callable[[int, int], bytes]:
    """``read_at`` over a descriptor, serving the first few KiB from one cached read."""
    first = min(size, _HEAD_SIZE)
    try:
        head = _pread(fd, first, 0)
    except OSError as exc:
        raise _os_error(Path(path), exc) from exc
    if len(head) < first:  # a short read (rare): retry until the end of the file
        head = _pread_fully(fd, path, first, 0)

    def read_at(offset: int, n: int) -> bytes:
        if offset + n <= len(head):
            return head[offset : offset + n]
        return _pread_fully(fd, path, n, offset)

    return read_at


def _pread_fully(fd: int, path: str, n: int, offset: int) -> bytes:
    """Up to ``n`` bytes at ``offset``; fewer only at the end of the file."""
    try:
        data = _pread(fd, n, offset)
        while 0 < len(data) < n:
            more = _pread(fd, n - len(data), offset + len(data))
            if not more:
                break
            data += more
    except OSError as exc:
        raise _os_error(Path(path), exc) from exc
    return data


def _label(path: str) -> str:
    if os.altsep is None:  # POSIX: the fast path of os.path.basename
        return f"'{path[path.rfind(os.sep) + 1 :]}'"
    return f"'{os.path.basename(path)}'"  # pragma: no cover - Windows


def _scan_path(
    source: str | os.PathLike[Any], parse: Callable[[Callable[[int, int], bytes], int, str], T]
) -> tuple[T, int, str | Callable[[], str]]:
    """The hot path of :func:`scan_source`: ``open``, ``fstat``, one ``pread`` of the first
    block (more only if the header runs past it), ``close``; no context manager and no
    ``SourceReader`` (this runs once per inspected file)."""
    path = _fspath(source)
    fd, stat = _open_regular(path)
    try:
        result = parse(_fd_reader(fd, path, stat.st_size), stat.st_size, _label(path))
    finally:
        os.close(fd)
    return result, stat.st_size, _lazy_file_digest(path, stat)


@contextmanager
def _open_path(source: str | os.PathLike[Any]) -> Iterator[SourceReader]:
    path = _fspath(source)
    fd, stat = _open_regular(path)
    try:
        yield SourceReader(
            read_at=_fd_reader(fd, path, stat.st_size),
            size=stat.st_size,
            sha256=_lazy_file_digest(path, stat),
            kind="path",
            label=_label(path),
        )
    finally:
        os.close(fd)


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    """Which file, in which state: a replaced or rewritten file differs in one of these."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _lazy_file_digest(path: str, stat: os.stat_result) -> Callable[[], str]:
    def digest() -> str:
        try:
            with open(path, "rb") as stream:
                now = os.fstat(stream.fileno())
                if _identity(now) != _identity(stat):
                    raise ImageSourceError(
                        f"'{path}' changed after it was inspected; inspect it again"
                    )
                return hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError as exc:
            raise _os_error(Path(path), exc) from exc

    return digest


# -- in-memory ------------------------------------------------------------------------------


def _memory_reader(
    data: bytes | bytearray | memoryview, *, kind: SourceKind, label: str
) -> SourceReader:
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    size = len(view)

    def read_at(offset: int, n: int) -> bytes:
        return bytes(view[offset : offset + n])

    if isinstance(data, bytes):  # immutable: the digest can wait

        def digest() -> str:
            return hashlib.sha256(data).hexdigest()

        sha: str | Callable[[], str] = digest
    else:  # a mutable buffer may change later: hash it now
        sha = hashlib.sha256(view).hexdigest()
    return SourceReader(read_at=read_at, size=size, sha256=sha, kind=kind, label=label)


# -- file objects -----------------------------------------------------------------------------


def _is_file_object(source: object) -> bool:
    return callable(getattr(source, "read", None))


def _checked_stream(source: Any) -> IO[bytes]:
    if getattr(source, "closed", False):
        raise ImageSourceError("the file object is closed; pass an open file or the bytes")
    if isinstance(source, io.TextIOBase) or "b" not in getattr(source, "mode", "b"):
        raise ImageSourceError(
            "the file is open in text mode; open images in binary mode: open(path, 'rb')"
        )
    stream: IO[bytes] = source
    return stream


def _tell(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (OSError, AttributeError, ValueError):
        return None


def _read_all(stream: IO[bytes]) -> bytes:
    """The rest of ``stream``, read in 1 MiB chunks and refused as soon as it passes
    :data:`MAX_READ_BYTES` (a pipe is never read to its end before the size is checked)."""
    chunks: list[bytes] = []
    total = 0
    while chunk := _read_upto(stream, _HASH_CHUNK):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_READ_BYTES:
            raise _too_large(total, "the stream")
    return b"".join(chunks)


def _too_large(n_bytes: int, what: str) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"{what} holds more than {MAX_READ_BYTES:,} bytes (read {n_bytes:,} so far, then "
        "stopped); an image OpenAI accepts is at most 20 MB: shrink it first",
        n_bytes=n_bytes,
        limit=MAX_READ_BYTES,
    )


@contextmanager
def _open_file_object(source: object) -> Iterator[SourceReader]:
    """A file object from its current position to its end; the position is restored after.

    Seekable streams are read header-only for parsing, and hashed in 1 MiB chunks (the image
    is never held whole); others are read to the end (that consumes them)."""
    stream = _checked_stream(source)
    name = getattr(stream, "name", None)
    label = f"'{os.path.basename(name)}'" if isinstance(name, str) else "the file object"
    start = _tell(stream)
    if start is None:
        data = _read_all(stream)
        yield SourceReader(
            read_at=_memory_reader(data, kind="file", label=label).read_at,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            kind="file",
            label=label,
        )
        return
    try:
        size = _guarded(lambda: stream.seek(0, os.SEEK_END)) - start
        sha256 = _stream_digest(stream, start)

        def read_at(offset: int, n: int) -> bytes:
            _guarded(lambda: stream.seek(start + offset))
            return _read_upto(stream, min(n, max(size - offset, 0)))

        yield SourceReader(read_at=read_at, size=size, sha256=sha256, kind="file", label=label)
    finally:
        _guarded(lambda: stream.seek(start))


def _guarded(action: Callable[[], T]) -> T:
    try:
        return action()
    except (OSError, ValueError) as exc:
        raise ImageSourceError(f"cannot read the file object: {exc}") from exc


def _read_upto(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at the end), checking that the stream gives bytes."""
    chunks: list[bytes] = []
    while n > 0:
        chunk = _guarded(partial(stream.read, n))
        if isinstance(chunk, str):
            raise ImageSourceError(
                "the file object returned text; open images in binary mode: open(path, 'rb')"
            )
        if not chunk:
            break
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ImageSourceError(
                f"the file object's read() returned {type(chunk).__name__}, expected bytes"
            )
        chunks.append(bytes(chunk))
        n -= len(chunk)
    return b"".join(chunks)


def _stream_digest(stream: IO[bytes], start: int) -> str:
    """sha256 from ``start`` to the end, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    _guarded(lambda: stream.seek(start))
    while chunk := _read_upto(stream, _HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


# -- PIL images -----------------------------------------------------------------------------


def _is_pil_image(source: object) -> bool:
    """True for PIL images, without importing Pillow when the caller never did."""
    import sys

    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(source, pil.Image)


_PIL_SAVE: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "CMYK": ("JPEG", {"quality": 95}),
}
"""Modes PNG cannot store, and how they are saved instead. Everything else becomes PNG."""

_PNG_MODES: Final = frozenset({"1", "L", "LA", "I;16", "RGB", "RGBA", "P"})
"""Modes Pillow writes as PNG unchanged."""

_PIL_CONVERT: Final[Mapping[str, str]] = {"La": "LA", "RGBa": "RGBA", "PA": "RGBA"}
"""Modes converted to a PNG mode that keeps their alpha (premultiplied -> straight alpha).
Other modes become ``RGBA`` when they have an alpha band, ``RGB`` otherwise; 32-bit ``I``
becomes 16-bit ``I;16`` when its values fit (lossless), ``RGB`` otherwise."""

_PIL_ERRORS: Final = (OSError, ValueError, TypeError, KeyError, EOFError, SyntaxError)
"""What Pillow raises on images it cannot load, convert or save (it uses all of these)."""


def encode_pil_image(image: Any) -> bytes:
    """Encode a PIL image as PNG (lossless; CMYK as JPEG quality 95). Refuses animations.

    >>> from PIL import Image
    >>> encode_pil_image(Image.new("RGB", (2, 2)))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    mode = getattr(image, "mode", "?")
    try:
        frames = getattr(image, "n_frames", 1)
    except _PIL_ERRORS as exc:  # counting frames reads a lazily opened file to its end
        raise ImageSourceError(
            f"cannot read the PIL image's frames: {exc}; the file behind it is probably "
            "truncated or corrupt"
        ) from exc
    if isinstance(frames, int) and frames > 1:
        raise AnimatedImageError(
            f"this PIL image is animated ({frames} frames) and OpenAI accepts only still "
            "images; pick a frame with img.seek(i) and pass img.copy()",
            frames=frames,
        )
    try:
        fmt, options = _PIL_SAVE.get(mode, ("PNG", {}))
        if fmt == "PNG" and mode not in _PNG_MODES:
            image = image.convert(_png_mode(image))
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **options)
    except _PIL_ERRORS as exc:
        raise ImageSourceError(
            f"cannot encode the PIL image (mode {mode}): {exc}; convert it first, e.g. "
            "img.convert('RGB'), or pass the image file itself"
        ) from exc
    return buffer.getvalue()


def _png_mode(image: Any) -> str:
    """The PNG mode ``image`` (not in a PNG mode) is converted to."""
    mode: str = image.mode
    if mode in _PIL_CONVERT:
        return _PIL_CONVERT[mode]
    if mode == "I":
        low, high = image.getextrema()
        return "I;16" if low >= 0 and high <= 0xFFFF else "RGB"
    return "RGBA" if {"A", "a"} & set(image.getbands()) else "RGB"


# -- errors ---------------------------------------------------------------------------------


def _unsupported_type(source: object) -> ImageSourceError:
    return ImageSourceError(
        f"cannot use a {type(source).__name__} as an image; pass {ACCEPTED_SOURCES}"
    )


def _looks_like_base64(text: str) -> bool:
    if text.startswith(_BASE64_IMAGE_STARTS):
        return True
    return len(text) > 200 and _BASE64_TEXT.fullmatch(text) is not None


_BASE64_IMAGE_STARTS: Final = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR")
"""How base64 of PNG, JPEG, GIF and RIFF (WEBP) bytes begins."""


_BASE64_TEXT: Final = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _shown_path(path: Path) -> str:
    """A path for a message: escaped, and its middle elided if long (its end names the file)."""
    text = escape(str(path))
    return repr(text if len(text) <= 240 else f"{text[:80]}...{text[-150:]}")


def _short(text: str, limit: int = 60) -> str:
    return repr(safe(text, limit))
