"""PURE: what an image is, from its first bytes: format, size in pixels, frames.

The parsers here read headers through a ``read_at(offset, n)`` callable and never decode pixels:

* PNG: the IHDR chunk, then chunk headers up to the first IDAT (an ``acTL`` chunk before it
  makes an APNG).
* JPEG: segment headers up to the first SOFn frame header (EXIF, ICC and MPF segments are
  skipped by length, so a phone MPO reports its primary image as a ``jpeg``).
* WEBP: the first chunk (``VP8``, ``VP8L`` or ``VP8X``); for animated ``VP8X`` files, the chunk
  headers to count ``ANMF`` frames. A file shorter than its RIFF size is reported truncated.
* GIF: the logical screen, then the block structure to count image descriptors. GIF is the one
  format whose frame count needs a walk through the whole file.

A file cut off after its header is not detected (the API will reject it); one cut inside its
header is a :class:`CorruptImageError`. The type comes from the bytes, never from a file name.
What OpenAI does not accept (SVG, HTML, PDF, HEIC/HEIF/AVIF, TIFF, BMP, ICO, JPEG XL, ...) is
recognised and named in an :class:`UnsupportedImageFormatError` that says what to do.

Headers declaring more than :data:`MAX_PIXELS` pixels raise :class:`DecompressionBombError`;
zero-sized ones raise :class:`CorruptImageError`.

Data URLs are parsed here too, from their text: :func:`inspect_data_url` decodes only the
base64 windows the header parser asks for (a few KiB; a GIF's frame count needs the whole
file), so a 15 MB image costs what a 50 KB one does; its sha256 is computed on first access.
:func:`data_url_has_gps` decodes only the segment and chunk headers and the EXIF directory.
A part this package built is remembered (:func:`remember_built`, with whether it carries GPS)
and never parsed or decoded again.

This module is pure: it never opens files or sockets. Reading sources (paths, files, PIL
images) lives in ``sources``, which calls the parsers here; never the other way round.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, NamedTuple

from .._dataurl import Flavour, decode, is_data_url, parse_head
from .._exceptions import (
    AnimatedImageError,
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    ImageTooLargeError,
    InvalidDataURLError,
    MimeMismatchError,
    UnsupportedImageFormatError,
)
from .._redact import safe
from .._types import ImageFormat, ImageInfo, describe_bytes
from .gif import count_gif_frames
from .strip import gps_at

__all__ = [
    "MAX_PIXELS",
    "MIME_ALIASES",
    "MIME_TYPES",
    "Header",
    "ReadAt",
    "check_declared_mime",
    "check_pixels",
    "check_sendable",
    "data_url_has_gps",
    "decode_data_url",
    "inspect_bytes",
    "inspect_data_url",
    "detect_kind",
    "is_data_url",
    "normalize_mime",
    "read_header",
    "remember_built",
    "built_original",
    "sniff_format",
]

if TYPE_CHECKING:  # pragma: no cover
    from .originals import Original

_IMAGE_URL: Final = Flavour(InvalidDataURLError, "data:image/png;base64,...", "image_part()")
"""How image data URLs report problems (the parsing itself is ``_dataurl``'s)."""

ReadAt = Callable[[int, int], bytes]
"""``read_at(offset, n)`` returns up to ``n`` bytes at ``offset`` (fewer at the end)."""

MAX_PIXELS: Final = 89_478_485
"""Largest pixel count we accept: Pillow's default ``Image.MAX_IMAGE_PIXELS``, where Pillow warns
of a decompression bomb (it refuses at twice that). For animations this is the canvas size."""

MIME_TYPES: Final[Mapping[ImageFormat, str]] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}

MIME_ALIASES: Final[Mapping[str, str]] = {"image/jpg": "image/jpeg"}
"""Non-standard MIME names accepted as their standard one. ``image/jpg`` is common in the wild
(browsers, CMSs, many tutorials); a data URL declaring it for JPEG bytes is not a mismatch."""

_ACCEPTED: Final = "PNG, JPEG, WEBP and non-animated GIF"
_MAX_CHUNKS: Final = 4096
"""Upper bound on PNG chunks / JPEG segments / WEBP chunks read before giving up."""


class Header(NamedTuple):
    """What a header says: format, size in pixels, and number of frames.

    Immutable; a named tuple rather than a frozen dataclass because one is built per
    inspection, on the hot path (a third of the cost of a frozen dataclass).
    """

    format: ImageFormat
    width: int
    height: int
    frames: int = 1


# -- recognising formats -------------------------------------------------------------------

_SIGNATURES: Final[tuple[tuple[bytes, ImageFormat], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)

_REJECTED_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "pdf"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"\xff\x0a", "jxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jpeg2000"),
    (b"\xff\x4f\xff\x51", "jpeg2000"),
    (b"8BPS", "psd"),
    (b"DDS ", "dds"),
    (b"qoif", "qoi"),
    (b"BM", "bmp"),
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
)

_FTYP_BRANDS: Final[Mapping[bytes, str]] = {
    b"heic": "heic",
    b"heix": "heic",
    b"heim": "heic",
    b"heis": "heic",
    b"hevc": "heic",
    b"hevx": "heic",
    b"mif1": "heic",
    b"msf1": "heic",
    b"avif": "avif",
    b"avis": "avif",
}
"""ISO-BMFF brands (in the ``ftyp`` box) of still-image containers; others are video."""

_GENERIC_HEIF: Final = frozenset({b"mif1", b"msf1"})
"""Brands any HEIF file may list (AVIF too): they decide only when nothing more specific does."""

_NAMES: Final[Mapping[str, str]] = {
    "pdf": "a PDF document",
    "tiff": "a TIFF image",
    "ico": "an ICO icon",
    "cur": "a CUR cursor",
    "tga": "a TGA (Targa) image",
    "jxl": "a JPEG XL image",
    "jpeg2000": "a JPEG 2000 image",
    "psd": "a Photoshop (PSD) file",
    "dds": "a DirectDraw Surface (DDS) texture",
    "qoi": "a QOI image",
    "bmp": "a BMP image",
    "gzip": "a gzip archive (an .svgz?)",
    "zip": "a ZIP archive",
    "heic": "a HEIC/HEIF image",
    "avif": "an AVIF image",
    "video": "an MP4/QuickTime video",
    "riff": "a RIFF file that is not WEBP (audio or video?)",
    "svg": "an SVG (vector) image",
    "html": "an HTML page",
    "xml": "an XML document",
    "json": "JSON text",
    "text": "text",
}

_CONVERT: Final = (
    "convert it to PNG or JPEG first: image_part(source, optimize=True) converts it for you"
)
_HINTS: Final[Mapping[str, str]] = {
    "heic": (
        "convert it to JPEG or PNG first, or install the heic extra "
        "(pip install 'openai-vision-ext[heic]') and use image_part(..., optimize=True), "
        "which converts it for you"
    ),
    "svg": "rasterize it to PNG first (e.g. cairosvg.svg2png, or export it from your editor)",
    "html": (
        "this is often a saved error or login page, or a failed download given an image "
        "file name; download the image itself"
    ),
    "pdf": "render the page to PNG first (e.g. with pypdfium2), or send it as an input_file",
    "video": "extract a frame as PNG or JPEG first (e.g. with ffmpeg)",
    "xml": "send an image, not the document",
    "json": "send an image, not the document; if it holds base64, decode it to bytes first",
    "text": "send an image, not text; if it is base64, pass a data URL or the decoded bytes",
}


def _unsupported(detected: str | None, label: str) -> UnsupportedImageFormatError:
    if detected is None:
        return UnsupportedImageFormatError(
            f"{label} is not an image OpenAI accepts ({_ACCEPTED}) and its type is not "
            f"recognised; {_CONVERT}",
            detected=None,
        )
    return UnsupportedImageFormatError(
        f"{label} is {_NAMES[detected]}, which OpenAI does not accept (it takes {_ACCEPTED}); "
        f"{_HINTS.get(detected, _CONVERT)}",
        detected=detected,
    )


def _truncated(label: str, what: str) -> CorruptImageError:
    return CorruptImageError(
        f"{label} is truncated or corrupt: {what}; the file was probably cut off while "
        "downloading or copying, get a complete copy"
    )


def sniff_format(head: bytes, *, label: str = "the image") -> ImageFormat:
    """Return the format of an image from its first bytes (16 are enough, 1 KiB names text).

    Raises EmptyImageError, CorruptImageError (too short to tell, e.g. half a PNG signature)
    or UnsupportedImageFormatError naming what the bytes are.

    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'png'
    >>> sniff_format(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    Traceback (most recent call last):
    ...
    openai_vision_ext.UnsupportedImageFormatError: the image is an SVG (vector) \
image, which OpenAI does not accept (it takes PNG, JPEG, WEBP and non-animated GIF); \
rasterize it to PNG first (e.g. cairosvg.svg2png, or export it from your editor)
    """
    fmt = _accepted_format(head)
    if fmt is not None:
        return fmt
    if not head:
        raise EmptyImageError(f"{label} is empty (0 bytes); check that the file was written")
    if head[:4] == b"RIFF" and len(head) >= 12:
        raise _unsupported("riff", label)
    if any(sig.startswith(head) for sig, _ in _SIGNATURES) or b"RIFF".startswith(head[:4]):
        raise _truncated(label, f"only {len(head)} bytes, too short for an image header")
    raise _unsupported(_detect_rejected(head), label)


_SNIFF_BYTES: Final = 16
"""Bytes that name every accepted format (the longest signature is WEBP's 12-byte RIFF header);
only other data needs more (up to 1 KiB, to name what it is)."""


def _accepted_format(head: bytes) -> ImageFormat | None:
    """The accepted format whose signature ``head`` starts with, else ``None``."""
    for signature, fmt in _SIGNATURES:
        if head.startswith(signature):
            return fmt
    return "webp" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else None


def detect_kind(head: bytes) -> str | None:
    """What the first bytes say the data is, without raising: an accepted format (``"png"``,
    ``"jpeg"``, ``"gif"``, ``"webp"``), another kind ``sniff_format`` names (``"tiff"``,
    ``"heic"``, ``"pdf"``, ``"svg"``, ...), or ``None`` (empty, too short, or unknown).

    >>> detect_kind(b"%PDF-1.7" + bytes(8)), detect_kind(b"GIF89a" + bytes(10)), detect_kind(b"")
    ('pdf', 'gif', None)
    """
    try:
        return sniff_format(head)
    except UnsupportedImageFormatError as exc:
        return exc.detected
    except (EmptyImageError, CorruptImageError):
        return None


def _detect_rejected(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        return _ftyp_kind(head)
    for signature, name in _REJECTED_SIGNATURES:
        if head.startswith(signature):
            return name
    return _detect_icon(head) or _detect_tga(head) or _detect_text(head)


def _detect_icon(head: bytes) -> str | None:
    """ICO/CUR: reserved 0, type 1 or 2, at least one directory entry whose reserved byte is 0
    and whose image starts after the directory (a TGA can begin with the same four bytes)."""
    if len(head) < 22 or head[:2] != b"\0\0" or head[2:4] not in (b"\1\0", b"\2\0"):
        return None
    count, offset = _le(head, 4, 2), _le(head, 18, 4)
    if count == 0 or head[9] != 0 or offset < 6 + 16 * count:
        return None
    return "ico" if head[2] == 1 else "cur"


_TGA_TYPES: Final = frozenset({1, 2, 3, 9, 10, 11, 32, 33})
_TGA_DEPTHS: Final = frozenset({1, 8, 15, 16, 24, 32})


def _detect_tga(head: bytes) -> str | None:
    """TGA has no signature: a colour-map type of 0 or 1, a known image type and pixel depth,
    a colour-map depth that fits the colour-map type, and a non-zero size."""
    if len(head) < 18 or head[1] > 1 or head[2] not in _TGA_TYPES or head[16] not in _TGA_DEPTHS:
        return None
    if (head[1] == 0) != (head[7] == 0) or not (_le(head, 12, 2) and _le(head, 14, 2)):
        return None
    return "tga"


def _ftyp_kind(head: bytes) -> str:
    """HEIC/AVIF/video from the major brand, then the compatible brands (specific first)."""
    end = min(len(head), int.from_bytes(head[:4], "big"), 64)
    brands = [head[8:12], *(head[i : i + 4] for i in range(16, end - 3, 4))]
    kinds = [_FTYP_BRANDS[b] for b in brands if b in _FTYP_BRANDS and b not in _GENERIC_HEIF]
    if kinds:
        return kinds[0]
    return "heic" if any(b in _GENERIC_HEIF for b in brands) else "video"


def _detect_text(head: bytes) -> str | None:
    text = head[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<"):
        if b"<svg" in text:
            return "svg"
        if b"<html" in text or b"<!doctype html" in text or text.startswith((b"<head", b"<body")):
            return "html"
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    printable = sum(32 <= c < 127 or c in b"\t\r\n" for c in text)
    return "text" if text and printable == len(text) else None


# -- header parsers ------------------------------------------------------------------------


def _read(read_at: ReadAt, offset: int, n: int, label: str, what: str) -> bytes:
    data = read_at(offset, n)
    if len(data) < n:
        raise _truncated(label, f"it ends inside its {what}")
    return data


def _u16be(b: bytes, i: int = 0) -> int:
    return int.from_bytes(b[i : i + 2], "big")


def _u32be(b: bytes, i: int = 0) -> int:
    return int.from_bytes(b[i : i + 4], "big")


def _le(b: bytes, i: int, n: int) -> int:
    return int.from_bytes(b[i : i + n], "little")


_BLOCK: Final = 256
"""Bytes fetched at once while walking PNG chunks / JPEG segments (one ``read_at`` call each).
A file source serves its first 4 KiB from one read; a data URL decodes what is asked (base64
decoding costs a few ns a character: a 1 KiB block took ~4 us, 256 bytes ~1.5 us), and a PNG's
IHDR and first IDAT header, or a plain JPEG's frame header, fit in the first 256 bytes."""


def _read_block(read_at: ReadAt, offset: int) -> bytes:
    """The bytes from ``offset`` to the next block boundary (at least 64): reads stay inside
    the block a file source has cached, instead of straddling two."""
    n = _BLOCK - offset % _BLOCK
    return read_at(offset, n if n >= 64 else n + _BLOCK)


_CHUNK_HEAD: Final = struct.Struct(">I4s")
_IHDR: Final = struct.Struct(">I4sII")
_TWO_U16: Final = struct.Struct(">HH")


def _parse_png(read_at: ReadAt, size: int, label: str) -> Header:
    start, block = 8, _read_block(read_at, 8)  # IHDR and, usually, every chunk up to IDAT
    if len(block) < 25:
        raise _truncated(label, "it ends inside its PNG header (IHDR)")
    length, kind, width, height = _IHDR.unpack_from(block)
    if kind != b"IHDR" or length != 13:
        raise _truncated(label, "the PNG does not start with an IHDR chunk")
    if width >= 1 << 31 or height >= 1 << 31:
        raise _truncated(label, f"the PNG header declares a negative size ({width}x{height})")
    frames, offset = 1, 33
    for _ in range(_MAX_CHUNKS):
        i = offset - start
        if i + 12 > len(block):  # a chunk header and an acTL frame count
            start, block, i = offset, _read_block(read_at, offset), 0
        if i + 8 > len(block):
            raise _truncated(label, "it ends inside its PNG chunks before the image data")
        length, kind = _CHUNK_HEAD.unpack_from(block, i)
        if kind == b"IDAT":
            return Header("png", width, height, frames)
        if kind == b"IEND" or length >= 1 << 31:
            raise _truncated(label, "the PNG has no image data (IDAT)")
        if kind == b"acTL":
            if i + 12 > len(block):
                raise _truncated(label, "it ends inside its APNG header (acTL)")
            frames = max(1, _u32be(block, i + 8))
        offset += 12 + length
    raise _truncated(label, f"more than {_MAX_CHUNKS} PNG chunks before the image data")


_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD8)})

_SEGMENT, _FRAME, _STANDALONE, _FILL, _NO_FRAME = range(5)


def _marker_kind(marker: int) -> int:
    if marker in _SOF_MARKERS:
        return _FRAME
    if marker in _STANDALONE_MARKERS:
        return _STANDALONE
    if marker == 0xFF:
        return _FILL
    if marker in (0xD9, 0xDA):  # EOI, or start of scan before any frame header
        return _NO_FRAME
    return _SEGMENT  # APPn, DQT, DHT, COM, ...: skipped by their length


_JPEG_MARKER_KIND: Final = tuple(_marker_kind(marker) for marker in range(256))
"""What each JPEG marker byte is, as one table lookup on the hot path."""


def _parse_jpeg(read_at: ReadAt, size: int, label: str) -> Header:
    start, block = 0, _read_block(read_at, 0)
    # Fast path: well-formed segments inside the first block (the usual JPEG: APP0, DQT, SOF),
    # the same steps as the general loop below, which takes over at anything else.
    offset, end, steps = 2, len(block) - 9, 0
    while offset <= end and block[offset] == 0xFF and steps < _MAX_CHUNKS:
        kind = _JPEG_MARKER_KIND[block[offset + 1]]
        if kind == _FRAME:
            height, width = _TWO_U16.unpack_from(block, offset + 5)
            return Header("jpeg", width, height)
        if kind != _SEGMENT:
            break
        length = (block[offset + 2] << 8) | block[offset + 3]
        if length < 2:
            break
        offset += 2 + length
        steps += 1
    for _ in range(_MAX_CHUNKS - steps):
        i = offset - start
        if i + 9 > len(block):  # a marker, a segment length and a frame header's size fields
            start, block, i = offset, _read_block(read_at, offset), 0
        available = len(block) - i
        if available < 2 or block[i] != 0xFF:
            if available == 1 and block[i] == 0xFF:
                raise _truncated(label, "it ends inside its JPEG segment markers")
            offset = _next_marker(read_at, offset, label)  # junk between segments
            continue
        kind = _JPEG_MARKER_KIND[block[i + 1]]
        if kind == _SEGMENT:
            if available < 4:
                raise _truncated(label, "it ends inside its JPEG segment headers")
            length = (block[i + 2] << 8) | block[i + 3]
            if length < 2:
                raise _truncated(label, f"a JPEG segment has an impossible length ({length})")
            offset += 2 + length
        elif kind == _FRAME:
            if available < 9:
                raise _truncated(label, "it ends inside its JPEG frame header (SOF)")
            height, width = _TWO_U16.unpack_from(block, i + 5)
            return Header("jpeg", width, height)
        elif kind == _STANDALONE:
            offset += 2
        elif kind == _FILL:
            offset += 1
        else:
            raise _truncated(label, "the JPEG has no frame header (SOF)")
    raise _truncated(label, f"more than {_MAX_CHUNKS} JPEG segments before the frame header")


def _next_marker(read_at: ReadAt, offset: int, label: str) -> int:
    """Offset of the next 0xFF byte at or after ``offset`` (skipping junk, like Pillow)."""
    while True:
        block = read_at(offset, _BLOCK)
        found = block.find(b"\xff")
        if found >= 0:
            return offset + found
        if len(block) < _BLOCK:
            raise _truncated(label, "it ends inside its JPEG segment markers")
        offset += len(block)


_VP8_START: Final = b"\x9d\x01\x2a"


_WEBP_HEADER_SIZE: Final[Mapping[bytes, int]] = {b"VP8 ": 30, b"VP8L": 25, b"VP8X": 30}
"""Bytes from the file start needed to read each kind of WEBP's first-chunk header."""


def _parse_webp(read_at: ReadAt, size: int, label: str) -> Header:
    riff = _read(read_at, 0, 16, label, "WEBP header")
    kind = riff[12:16]
    if kind not in _WEBP_HEADER_SIZE:
        raise _truncated(label, f"the WEBP starts with an unknown chunk {kind!r}")
    riff = _read(read_at, 0, _WEBP_HEADER_SIZE[kind], label, "WEBP header")
    declared = _le(riff, 4, 4) + 8
    if declared > size:
        raise _truncated(label, f"the WEBP declares {declared} bytes but has {size}")
    if kind == b"VP8 ":
        if riff[23:26] != _VP8_START:
            raise _truncated(label, "the WEBP (VP8) frame header is invalid")
        return Header("webp", _le(riff, 26, 2) & 0x3FFF, _le(riff, 28, 2) & 0x3FFF)
    if kind == b"VP8L":
        if riff[20] != 0x2F:
            raise _truncated(label, "the WEBP (VP8L) header is invalid")
        bits = _le(riff, 21, 4)
        return Header("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    width, height = _le(riff, 24, 3) + 1, _le(riff, 27, 3) + 1
    frames = _count_webp_frames(read_at, size, label) if riff[20] & 0x02 else 1
    return Header("webp", width, height, frames)


def _count_webp_frames(read_at: ReadAt, size: int, label: str) -> int:
    """Count ``ANMF`` chunks after the VP8X chunk (chunk headers only)."""
    frames, offset = 0, 30
    for _ in range(_MAX_CHUNKS << 8):
        if offset + 8 > size:
            return max(frames, 1)
        chunk = _read(read_at, offset, 8, label, "WEBP chunk headers")
        frames += chunk[:4] == b"ANMF"
        length = _le(chunk, 4, 4)
        offset += 8 + length + (length & 1)
    raise _truncated(label, "the WEBP has too many chunks")


def _parse_gif(read_at: ReadAt, size: int, label: str) -> Header:
    """The logical screen, then every block to count image descriptors (``gif``, at C speed)."""
    screen = _read(read_at, 0, 13, label, "GIF header")
    width, height = _le(screen, 6, 2), _le(screen, 8, 2)
    frames = count_gif_frames(read_at, 13 + _color_table_size(screen[10]), size)
    if frames is None:
        raise _truncated(label, "it ends inside a GIF image descriptor")
    if frames == 0:
        raise _truncated(label, "the GIF has no image (no image descriptor)")
    return Header("gif", width, height, frames)


def _color_table_size(packed: int) -> int:
    return 3 << ((packed & 0x07) + 1) if packed & 0x80 else 0


_PARSERS: Final[Mapping[ImageFormat, Callable[[ReadAt, int, str], Header]]] = {
    "png": _parse_png,
    "jpeg": _parse_jpeg,
    "webp": _parse_webp,
    "gif": _parse_gif,
}


def read_header(read_at: ReadAt, size: int, *, label: str = "the image") -> Header:
    """Parse an image header; raise the matching ImageError if it is not one we can send.

    >>> import base64
    >>> gif = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
    >>> read_header(lambda o, n: gif[o : o + n], len(gif))
    Header(format='gif', width=1, height=1, frames=1)
    """
    fmt = _accepted_format(read_at(0, _SNIFF_BYTES))
    if fmt is None:  # not an accepted image: its first KiB says what it is, in the error
        fmt = sniff_format(read_at(0, 1024), label=label)
    header = _PARSERS[fmt](read_at, size, label)
    _, width, height, _ = header
    if width <= 0 or height <= 0:
        raise _truncated(label, f"its header declares a size of {width}x{height}")
    check_pixels(width, height, label=label)
    return header


def check_pixels(width: int, height: int, *, label: str = "the image") -> None:
    """Raise DecompressionBombError above :data:`MAX_PIXELS` (the one bomb limit: headers, PIL
    images and decoders all check it here).

    >>> check_pixels(20_000, 20_000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    openai_vision_ext.DecompressionBombError: the image declares 20000x20000 pixels, more \
than the ... any real photo has (a decompression bomb or a corrupt header); send a smaller image
    """
    if width * height > MAX_PIXELS:
        raise DecompressionBombError(
            f"{label} declares {width}x{height} pixels, more than the "
            f"{MAX_PIXELS:,} any real photo has (a decompression bomb or a corrupt header); "
            "send a smaller image",
            width=width,
            height=height,
        )


# -- public entry points -------------------------------------------------------------------


def _info(header: Header, size: int, sha256: str | Callable[[], str]) -> ImageInfo:
    fmt, width, height, frames = header
    return ImageInfo(fmt, MIME_TYPES[fmt], width, height, frames, frames > 1, size, sha256)


def inspect_bytes(data: bytes, *, label: str = "the image") -> ImageInfo:
    """Inspect an encoded image held in memory (sha256 computed on first access).

    >>> import base64
    >>> gif = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
    >>> info = inspect_bytes(gif)
    >>> (info.format, info.mime, info.width, info.height, info.n_bytes)
    ('gif', 'image/gif', 1, 1, 37)
    """
    header = read_header(lambda o, n: data[o : o + n], len(data), label=label)
    return _info(header, len(data), lambda: hashlib.sha256(data).hexdigest())


def inspect_data_url(url: str) -> ImageInfo:
    """Inspect a ``data:`` URL from its first kilobytes, checking its declared MIME type
    against the bytes; the payload is not decoded whole (sha256 is, on first access).

    The base64 is checked strictly where it is decoded (the windows the header needs, and the
    end, whose padding fixes the exact byte count); the rest is checked by length only.

    >>> b64 = "R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw=="
    >>> inspect_data_url("data:image/gif;base64," + b64).n_bytes
    37
    >>> inspect_data_url("data:image/png;base64," + b64)
    Traceback (most recent call last):
    ...
    openai_vision_ext.MimeMismatchError: the data URL declares image/png but its \
bytes are image/gif; build it with the real type (image_part(bytes_or_path) does this for you)
    """
    built = _BUILT.get(url)
    if built is not None:
        return built.info
    declared, start = _data_url_header(url)
    payload = _Base64Window(url, start)
    header = read_header(payload.read_at, payload.size, label="the data URL's image")
    info = _info(header, payload.size, payload.digest)
    _check_mime(declared, info.mime)
    return info


def check_declared_mime(declared: str, data: bytes) -> None:
    """Raise MimeMismatchError when ``data`` is a PNG, JPEG, WEBP or GIF other than the MIME
    type a data URL ``declared`` (other formats are left to the caller to convert or refuse).

    >>> check_declared_mime("image/jpg", b"\\xff\\xd8\\xff\\xe0")
    """
    try:
        actual = MIME_TYPES[sniff_format(data[:1024])]
    except (UnsupportedImageFormatError, CorruptImageError, EmptyImageError):
        return
    _check_mime(declared, actual)


def _check_mime(declared: str, actual: str) -> None:
    if declared != actual and normalize_mime(declared) != actual:
        raise MimeMismatchError(
            f"the data URL declares {safe(declared, 40)} but its bytes are {actual}; "
            "build it with the real type (image_part(bytes_or_path) does this for you)",
            declared=declared,
            actual=actual,
        )


def normalize_mime(mime: str) -> str:
    """Lower-case a MIME type and map known aliases (``image/jpg``) to the standard name.

    >>> normalize_mime(" Image/JPG ")
    'image/jpeg'
    """
    mime = mime.strip().lower()
    return MIME_ALIASES.get(mime, mime)


def decode_data_url(url: str) -> tuple[str, bytes]:
    """Split a base64 image ``data:`` URL into (declared MIME, decoded bytes).

    The MIME is returned as written (lower-cased); compare with :func:`normalize_mime`.
    Raises InvalidDataURLError naming the problem: not a data URL, no ``;base64,`` marker,
    a MIME that is not ``image/*``, or a payload that is not strict standard base64.

    >>> decode_data_url("data:image/png;base64,iVBORw==")
    ('image/png', b'\\x89PNG')
    """
    mime, start = _data_url_header(url)
    return mime, decode(url, _IMAGE_URL, start)


def _data_url_header(url: str) -> tuple[str, int]:
    """The declared MIME type (lower-cased) and where the base64 payload starts."""
    mime, start = parse_head(url, _IMAGE_URL)
    if not mime.startswith("image/"):
        raise InvalidDataURLError(
            f"the data URL declares {safe(mime, 40) or 'no MIME type'!r}, not an image type; "
            "use e.g. 'data:image/png;base64,...'"
        )
    return mime, start


class _Base64Window:
    """``read_at`` over a data URL's payload that decodes only the quads it is asked for; the
    first block (sniffed, then read again by every header parser) is decoded once, up front."""

    __slots__ = ("_head", "_start", "_url", "size")

    def __init__(self, url: str, start: int) -> None:
        self._url, self._start = url, start
        chars = len(url) - start
        if chars % 4:
            decode(url, _IMAGE_URL, start)  # raises with the reason (whitespace, url-safe...)
            raise InvalidDataURLError(  # pragma: no cover - a2b always refuses a partial quad
                "the data URL's payload is not valid base64: incomplete base64 quad"
            )
        head_end = min(start + _HEAD_CHARS, len(url))
        self._head = decode(url, _IMAGE_URL, start, head_end)
        if head_end < len(url):  # the end decoded only to validate it (padding) strictly
            decode(url, _IMAGE_URL, max(head_end, len(url) - 64))
        padding = 0 if not chars else (url[-1] == "=") + (url[-2] == "=")
        self.size = chars // 4 * 3 - padding

    def read_at(self, offset: int, n: int) -> bytes:
        end = offset + n
        head = self._head
        if end <= len(head) or len(head) == self.size:  # the usual read, or all there is
            return head[offset:end]
        end = min(end, self.size)
        return self._decode(offset, end) if offset < end else b""

    def _decode(self, offset: int, end: int) -> bytes:
        first, last = offset // 3, -(-end // 3)
        data = decode(self._url, _IMAGE_URL, self._start + 4 * first, self._start + 4 * last)
        return data[offset - 3 * first : end - 3 * first]

    def digest(self) -> str:
        return hashlib.sha256(decode(self._url, _IMAGE_URL, self._start)).hexdigest()


_HEAD_CHARS: Final = -(-_BLOCK // 3) * 4
"""Base64 characters a ``_Base64Window`` decodes up front and keeps: the first block in whole
quads (344 characters, 258 bytes), which the sniffer and the parsers' first block read."""


def data_url_has_gps(url: str) -> bool:
    """Whether a data URL's image (JPEG, PNG or WEBP) carries GPS coordinates in its EXIF.

    A part this package built answers from memory; any other URL decodes only the bytes the
    walk reads (segment or chunk headers, the EXIF's first directory), never the payload.
    ``False`` for anything that cannot be walked (it is refused, or not, by inspection).

    >>> gif = "R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw=="
    >>> data_url_has_gps("data:image/gif;base64," + gif)
    False
    """
    built = _BUILT.get(url)
    if built is not None:
        return built.gps
    try:
        _, start = _data_url_header(url)
        payload = _Base64Window(url, start)
    except InvalidDataURLError:
        return False
    return gps_at(payload.read_at, payload.size)


class _Built(NamedTuple):
    url: str
    info: ImageInfo
    gps: bool
    original: Original | None = None
    """The original a prepared image came from (``None``: sent as given)."""


class _BuiltParts:
    """Data URLs this package built, with their ``ImageInfo``, whether they carry GPS and,
    for a prepared image, the ``Original`` it came from, so they are never parsed or decoded
    again (the client inspects every image it sends) and each reports its own original.

    Keyed by the URL object's identity, which is exact and O(1): the entry holds the URL, so
    the id cannot be reused while it is remembered. A copy of the string is not found and is
    parsed from its prefix as usual. Bounded in entries and in characters held."""

    __slots__ = ("_chars", "_entries", "_lock", "max_chars", "max_entries")

    def __init__(self, *, max_entries: int = 256, max_chars: int = 64 << 20) -> None:
        self._entries: OrderedDict[int, _Built] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self.max_entries, self.max_chars = max_entries, max_chars

    def get(self, url: str) -> _Built | None:
        entry = self._entries.get(id(url))
        return entry if entry is not None and entry.url is url else None

    def add(self, entry: _Built) -> None:
        url = entry.url
        if len(url) > self.max_chars:
            return
        with self._lock:
            old = self._entries.pop(id(url), None)
            if old is not None:
                self._chars -= len(old.url)
            self._entries[id(url)] = entry
            self._chars += len(url)
            while len(self._entries) > self.max_entries or self._chars > self.max_chars:
                _, gone = self._entries.popitem(last=False)
                self._chars -= len(gone.url)


_BUILT = _BuiltParts()


def remember_built(
    url: str, info: ImageInfo, *, gps: bool, original: Original | None = None
) -> str:
    """Remember that ``url`` (a data URL this package just built) holds the image ``info``
    describes, whether its EXIF carries GPS (``strip.has_gps`` of the bytes encoded) and the
    ``original`` it was prepared from (``None``: sent as given); return ``url``.

    >>> import base64
    >>> gif = base64.b64decode("R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
    >>> url = remember_built("data:image/gif;base64," + base64.b64encode(gif).decode(),
    ...     inspect_bytes(gif), gps=False)
    >>> inspect_data_url(url) is inspect_data_url(url)
    True
    """
    _BUILT.add(_Built(url, info, gps, original))
    return url


def built_original(url: object) -> tuple[bool, Original | None]:
    """For the very data-URL string this package built: ``(True, the original it was prepared
    from)`` (``None`` when sent as given). ``(False, None)`` for any other object, a copy of
    the string included. Keyed by the string's identity, so two different originals prepared
    to the same bytes each keep their own.

    >>> built_original("data:image/png;base64,AAAA")
    (False, None)
    """
    entry = _BUILT.get(url) if isinstance(url, str) else None
    return (False, None) if entry is None else (True, entry.original)


def check_sendable(info: ImageInfo, *, max_bytes: int, label: str = "the image") -> None:
    """Raise if an inspected image cannot be sent as is: animated, or over ``max_bytes``.

    >>> info = ImageInfo("gif", "image/gif", 1, 1, 3, True, 100, "00")
    >>> check_sendable(info, max_bytes=20_000_000)
    Traceback (most recent call last):
    ...
    openai_vision_ext.AnimatedImageError: the image is an animated GIF with 3 \
frames and OpenAI accepts only still images; send one frame as PNG or JPEG \
(e.g. PIL.Image.open(path).save('frame.png') saves the first)
    """
    if info.animated:
        raise AnimatedImageError(
            f"{label} is an animated {info.format.upper()} with {info.frames} frames and "
            "OpenAI accepts only still images; send one frame as PNG or JPEG "
            "(e.g. PIL.Image.open(path).save('frame.png') saves the first)",
            frames=info.frames,
        )
    if info.n_bytes > max_bytes:
        raise ImageTooLargeError(
            f"{label} is {info.n_bytes:,} bytes, over the per-image limit of "
            f"{describe_bytes(max_bytes)}; shrink or re-encode it (image_part(..., "
            "optimize=True) does this for you)",
            n_bytes=info.n_bytes,
            limit=max_bytes,
        )
