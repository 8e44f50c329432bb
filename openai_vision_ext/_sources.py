"""I/O edge: turn an image source (path, bytes, binary file, PIL image) into readable bytes.

This is the only module of the image pipeline that opens files or reads file objects. It offers
two shapes of access:

* :func:`open_source` yields a :class:`SourceReader` for header-only inspection: random access
  (``read_at(offset, n)``), the total size (from ``stat`` for paths, so a 20 MB file is not
  read), and a lazy sha256.
* :func:`read_source` returns all the bytes (for building a data URL).

``data:`` URLs and ``http(s)://`` URLs are not handled here: callers decode data URLs
(``_images.decode_data_url``) and never fetch URLs unless asked to (``fetch=True`` in
``image_part``).

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any, Final, Literal

from ._exceptions import AnimatedImageError, ImageSourceError

__all__ = [
    "ACCEPTED_SOURCES",
    "SourceReader",
    "encode_pil_image",
    "is_data_url",
    "is_http_url",
    "open_source",
    "read_source",
]

ACCEPTED_SOURCES: Final = (
    "a file path (str or os.PathLike), bytes/bytearray/memoryview, a binary file object "
    "(open(path, 'rb'), io.BytesIO), a PIL.Image.Image, or a 'data:image/...;base64,' URL"
)
"""Human description of what an image source can be, used in error messages."""

_HEAD_SIZE: Final = 4096
"""First read from a file: enough for the header of almost every PNG, GIF and WEBP."""

_HASH_CHUNK: Final = 1 << 20

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


def is_data_url(value: object) -> bool:
    """True for strings starting with ``data:`` (any case).

    >>> is_data_url("data:image/png;base64,AAAA"), is_data_url("photo.png")
    (True, False)
    """
    return isinstance(value, str) and value[:5].lower() == "data:"


def is_http_url(value: object) -> bool:
    """True for ``http://`` and ``https://`` URL strings (any case).

    >>> is_http_url("https://example.com/cat.png"), is_http_url("cat.png")
    (True, False)
    """
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


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
        yield _file_object_reader(source)
    else:
        raise _unsupported_type(source)


def read_source(source: object) -> bytes | bytearray | memoryview:
    """Return the whole encoded image (no copy for in-memory buffers).

    >>> bytes(read_source(bytearray(b"GIF89a")))
    b'GIF89a'
    """
    if isinstance(source, str | os.PathLike):
        path = _check_path(source)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise _os_error(path, exc) from exc
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


def _check_path(source: str | os.PathLike[Any]) -> Path:
    if isinstance(source, str) and is_http_url(source):
        raise ImageSourceError(
            f"{_short(source)} is a URL, and URLs are not downloaded here; pass it to "
            "image_part() as is (it is sent unchanged), or use image_part(url, fetch=True)"
        )
    return Path(os.fspath(source))


def _os_error(path: Path, exc: OSError) -> ImageSourceError:
    if _looks_like_base64(str(path)):
        return ImageSourceError(
            "this string looks like raw base64, not a file path; pass a data URL "
            "('data:image/png;base64,...') or the decoded bytes"
        )
    if isinstance(exc, FileNotFoundError):
        return ImageSourceError(f"image file not found: '{path}'; check the path")
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return ImageSourceError(f"'{path}' is a directory, not an image file")
    if isinstance(exc, PermissionError):
        return ImageSourceError(f"no permission to read image file '{path}'")
    return ImageSourceError(f"cannot read image file '{path}': {exc.strerror or exc}")


@contextmanager
def _open_path(source: str | os.PathLike[Any]) -> Iterator[SourceReader]:
    path = _check_path(source)
    try:
        stream = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _os_error(path, exc) from exc
    with stream:
        stat = os.fstat(stream.fileno())
        if not S_ISREG(stat.st_mode):
            raise ImageSourceError(f"'{path}' is not a regular file")
        yield SourceReader(
            read_at=_window_reader(stream, stat.st_size),
            size=stat.st_size,
            sha256=_lazy_file_digest(path, stat),
            kind="path",
            label=f"'{path.name}'",
        )


def _window_reader(stream: IO[bytes], size: int) -> Callable[[int, int], bytes]:
    """``read_at`` for a seekable stream, serving the first few KiB from one cached read."""
    stream.seek(0)
    head = stream.read(min(size, _HEAD_SIZE)) or b""

    def read_at(offset: int, n: int) -> bytes:
        if offset + n <= len(head):
            return head[offset : offset + n]
        stream.seek(offset)
        return stream.read(n) or b""

    return read_at


def _lazy_file_digest(path: Path, stat: os.stat_result) -> Callable[[], str]:
    def digest() -> str:
        try:
            with open(path, "rb") as stream:
                now = os.fstat(stream.fileno())
                if (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                    raise ImageSourceError(
                        f"'{path}' changed after it was inspected; inspect it again"
                    )
                return hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError as exc:
            raise _os_error(path, exc) from exc

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
    try:
        data = stream.read()
    except (OSError, ValueError) as exc:
        raise ImageSourceError(f"cannot read the file object: {exc}") from exc
    if isinstance(data, str):
        raise ImageSourceError(
            "the file object returned text; open images in binary mode: open(path, 'rb')"
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageSourceError(
            f"the file object's read() returned {type(data).__name__}, expected bytes"
        )
    return bytes(data)


def _file_object_reader(source: object) -> SourceReader:
    """Read a file object from its current position to the end, then restore the position."""
    stream = _checked_stream(source)
    start = _tell(stream)
    data = _read_all(stream)
    if start is not None:
        stream.seek(start)
    name = getattr(stream, "name", None)
    label = f"'{os.path.basename(name)}'" if isinstance(name, str) else "the file object"
    reader = _memory_reader(data, kind="file", label=label)
    return SourceReader(
        read_at=reader.read_at,
        size=reader.size,
        sha256=hashlib.sha256(data).hexdigest(),
        kind="file",
        label=label,
    )


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

_PNG_MODES: Final = frozenset({"1", "L", "LA", "I", "I;16", "RGB", "RGBA", "P"})


def encode_pil_image(image: Any) -> bytes:
    """Encode a PIL image as PNG (lossless; CMYK as JPEG quality 95). Refuses animations.

    >>> from PIL import Image
    >>> encode_pil_image(Image.new("RGB", (2, 2)))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    frames = getattr(image, "n_frames", 1)
    if isinstance(frames, int) and frames > 1:
        raise AnimatedImageError(
            f"this PIL image is animated ({frames} frames) and OpenAI accepts only still "
            "images; pick a frame with img.seek(i) and pass img.copy()",
            frames=frames,
        )
    fmt, options = _PIL_SAVE.get(image.mode, ("PNG", {}))
    if fmt == "PNG" and image.mode not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **options)
    except (OSError, ValueError) as exc:
        raise ImageSourceError(f"cannot encode the PIL image ({image.mode}): {exc}") from exc
    return buffer.getvalue()


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


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
