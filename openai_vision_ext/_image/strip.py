"""PURE: remove metadata (EXIF with GPS and camera, XMP, IPTC, comments) without re-encoding.

:func:`strip_metadata` rewrites a JPEG, PNG or WEBP file's container and leaves the compressed
image data byte for byte as it was, so it is lossless and fast:

* JPEG: drops APP1 (EXIF, XMP), APP13 (IPTC/Photoshop), COM and the other APPn segments,
  keeping APP0 (JFIF), APP2 ``ICC_PROFILE`` and APP14 ``Adobe`` (which says how to read the
  colours). A phone's MPO keeps only its primary image: the MPF index (APP2 ``MPF``) and the
  secondary images after the first end-of-image marker (with their own EXIF) are dropped.
* PNG: drops ``tEXt``, ``zTXt``, ``iTXt``, ``eXIf`` and ``tIME`` chunks.
* WEBP: drops the ``EXIF`` and ``XMP `` chunks and clears their flags in ``VP8X``.

GIF is not rewritten (GIFs rarely carry metadata; their comments are not location data).
:func:`has_gps` tells whether an image's EXIF holds a GPS block, from the same walk;
:func:`gps_at` does so through a ``read_at(offset, n)`` callable, reading only the segment and
chunk headers and the EXIF's first directory (a data URL decodes those bytes and no others).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final

__all__ = ["ReadAt", "gps_at", "has_gps", "strip_metadata"]

ReadAt = Callable[[int, int], bytes]
"""``read_at(offset, n)`` returns up to ``n`` bytes at ``offset`` (fewer at the end)."""

_APP0, _APP1, _APP2, _APP13, _APP14, _COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
_SOS, _EOI = 0xDA, 0xD9
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
_GPS_TAG: Final = 0x8825
_PNG_DROPPED: Final = {b"tEXt": "text", b"zTXt": "text", b"iTXt": "text", b"eXIf": "exif"}
_PNG_DROPPED_SILENTLY: Final = frozenset({b"tIME"})
_MAX_STEPS: Final = 4096
"""Segments, chunks or junk blocks walked before giving up (bounded time on hostile input)."""
_BLOCK: Final = 4096
_WALKED: Final = (IndexError, ValueError, struct.error)
"""What a walk over malformed bytes raises (caught at the public functions)."""


def strip_metadata(data: bytes, fmt: str) -> tuple[bytes, tuple[str, ...]] | None:
    """``(stripped bytes, what was removed)``; ``None`` if the file cannot be walked safely.

    What was removed is named as ``"exif"``, ``"gps"`` (inside the EXIF), ``"xmp"``, ``"iptc"``,
    ``"comment"``, ``"text"`` (PNG text chunks), ``"mpf"`` (an MPO's extra images) and
    ``"app"`` (other application segments). Nothing removed: the bytes come back unchanged.

    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (8, 8)).save(buf, "JPEG", comment=b"shot at home")
    >>> stripped, removed = strip_metadata(buf.getvalue(), "jpeg")
    >>> removed, b"shot at home" in stripped, len(stripped) < len(buf.getvalue())
    (('comment',), False, True)
    """
    try:
        if fmt == "jpeg":
            return _strip_jpeg(data)
        if fmt == "png":
            return _strip_png(data)
        if fmt == "webp":
            return _strip_webp(data)
    except (IndexError, ValueError, struct.error):
        return None
    return data, ()


def has_gps(data: bytes | bytearray | memoryview) -> bool:
    """Whether the image's EXIF holds a non-empty GPS block (JPEG, PNG, WEBP).

    >>> has_gps(b"\\xff\\xd8\\xff\\xd9")
    False
    """
    return gps_at(_reader(data), len(data))


def gps_at(read_at: ReadAt, size: int) -> bool:
    """:func:`has_gps` of the ``size`` bytes behind ``read_at``, reading only what the walk
    needs: the segment or chunk headers, and the first directory of each EXIF block.

    >>> data = b"\\xff\\xd8\\xff\\xd9"
    >>> gps_at(lambda offset, n: data[offset : offset + n], len(data))
    False
    """
    try:
        return any(_exif_gps_at(read_at, start, end) for start, end in _exif_blocks(read_at, size))
    except _WALKED:
        return False


def _reader(data: bytes | bytearray | memoryview) -> ReadAt:
    if isinstance(data, bytes):
        return lambda offset, n: data[offset : offset + n]
    return lambda offset, n: bytes(data[offset : offset + n])


# -- JPEG ----------------------------------------------------------------------------------


def _jpeg_segments(read_at: ReadAt, size: int) -> tuple[list[tuple[int, int, int]], int]:
    """``[(marker, start, end)]`` of the segments before the first scan, and the SOS offset;
    reads two to four bytes per segment (and skips junk between segments, like decoders)."""
    if read_at(0, 2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    segments: list[tuple[int, int, int]] = []
    i = 2
    for _ in range(_MAX_STEPS):
        head = read_at(i, 4)
        if head[0] != 0xFF:  # junk between segments: skip to the next marker
            i = _next_ff(read_at, i)
            continue
        marker = head[1]
        if marker == 0xFF:  # fill bytes
            i += 1
            continue
        if marker == _SOS:
            return segments, i
        if marker in _STANDALONE:
            segments.append((marker, i, i + 2))
            i += 2
            continue
        if marker == _EOI:
            raise ValueError("no scan")
        length = int.from_bytes(head[2:4], "big")
        if len(head) < 4 or length < 2 or i + 2 + length > size:
            raise ValueError("bad segment length")
        segments.append((marker, i, i + 2 + length))
        i += 2 + length
    raise ValueError("too many segments before the scan")


def _next_ff(read_at: ReadAt, i: int) -> int:
    """Offset of the next 0xFF byte at or after ``i``."""
    for _ in range(_MAX_STEPS):
        block = read_at(i, _BLOCK)
        found = block.find(b"\xff")
        if found >= 0:
            return i + found
        if len(block) < _BLOCK:
            raise ValueError("no marker after junk")
        i += _BLOCK
    raise ValueError("too much junk between segments")


def _jpeg_end(data: bytes, sos: int) -> int:
    """Offset just after the EOI that ends the image starting its scans at ``sos``."""
    i = sos
    n = len(data)
    while i < n:
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        i += 2 + length  # a marker segment (SOS, DHT, DQT, DRI... between scans)
        while True:  # entropy-coded data: FF00 and RSTn are data, any other FFxx a marker
            i = data.find(b"\xff", i)
            if i < 0 or i + 1 >= n:
                raise ValueError("no end of image")
            nxt = data[i + 1]
            if nxt == 0 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                i += 1 if nxt == 0xFF else 2
                continue
            break
        if nxt == _EOI:
            return i + 2
    raise ValueError("no end of image")


def _app_kind(marker: int, body: bytes) -> str | None:
    """What a segment holds if it is metadata we drop, ``None`` to keep it."""
    if marker == _COM:
        return "comment"
    if marker == _APP0 and body.startswith((b"JFIF\0", b"JFXX\0")):
        return None
    if marker == _APP2 and body.startswith(b"ICC_PROFILE\0"):
        return None
    if marker == _APP14 and body.startswith(b"Adobe"):
        return None
    if marker == _APP1:
        return "exif" if body.startswith(b"Exif\0") else "xmp" if b"adobe" in body[:40] else "app"
    if marker == _APP2 and body.startswith(b"MPF\0"):
        return "mpf"
    if marker == _APP13:
        return "iptc"
    if 0xE0 <= marker <= 0xEF:
        return "app"
    return None


def _strip_jpeg(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    read_at = _reader(data)
    segments, sos = _jpeg_segments(read_at, len(data))
    removed: list[str] = []
    kept = [data[:2]]
    for marker, start, end in segments:
        kind = _app_kind(marker, data[start + 4 : start + 64])
        if kind is None:
            kept.append(data[start:end])
            continue
        if kind == "exif" and _exif_gps_at(read_at, start + 10, end):
            removed.append("gps")
        removed.append(kind)
    end = _jpeg_end(data, sos)
    if end < len(data) and data[end:].strip(b"\0\r\n\t ") and "mpf" not in removed:
        removed.append("mpf" if data[end : end + 3] == b"\xff\xd8\xff" else "app")
    if not removed:
        return data, ()
    kept.append(data[sos:end])
    return b"".join(kept), tuple(dict.fromkeys(removed))


# -- PNG -----------------------------------------------------------------------------------


def _strip_png(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    kept = [data[:8]]
    removed: list[str] = []
    i = 8
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data) or len(kind) < 4:
            raise ValueError("truncated chunk")
        if kind in _PNG_DROPPED:
            if kind == b"eXIf" and _exif_gps_at(_reader(data), i + 8, end - 4):
                removed.append("gps")
            removed.append(_PNG_DROPPED[kind])
        elif kind not in _PNG_DROPPED_SILENTLY:
            kept.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    if not removed:
        return data, ()
    return b"".join(kept), tuple(dict.fromkeys(removed))


# -- WEBP ----------------------------------------------------------------------------------


def _webp_chunks(read_at: ReadAt, size: int) -> list[tuple[bytes, int, int]]:
    """``[(kind, start, end)]`` of a WEBP's chunks, from their 8-byte headers."""
    riff = read_at(0, 12)
    if riff[:4] != b"RIFF" or riff[8:12] != b"WEBP":
        raise ValueError("not a WEBP")
    end = min(size, int.from_bytes(riff[4:8], "little") + 8)
    chunks: list[tuple[bytes, int, int]] = []
    i = 12
    while i + 8 <= end:
        if len(chunks) >= _MAX_STEPS:
            raise ValueError("too many chunks")
        head = read_at(i, 8)
        chunk_size = int.from_bytes(head[4:8], "little")
        stop = i + 8 + chunk_size + (chunk_size & 1)
        if i + 8 + chunk_size > end:
            raise ValueError("truncated chunk")
        chunks.append((head[:4], i, min(stop, end)))
        i = stop
    return chunks


def _strip_webp(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    removed: list[str] = []
    body = [b"WEBP"]
    read_at = _reader(data)
    for kind, start, end in _webp_chunks(read_at, len(data)):
        if kind == b"EXIF":
            if _exif_gps_at(read_at, start + 8, end):
                removed.append("gps")
            removed.append("exif")
        elif kind == b"XMP ":
            removed.append("xmp")
        elif kind == b"VP8X":
            flags = data[start + 8] & ~0x0C  # EXIF (0x08) and XMP (0x04) flags
            body.append(data[start : start + 8] + bytes([flags]) + data[start + 9 : end])
        else:
            body.append(data[start:end])
    if not removed:
        return data, ()
    riff = b"".join(body)
    return b"RIFF" + struct.pack("<I", len(riff)) + riff, tuple(dict.fromkeys(removed))


# -- EXIF ----------------------------------------------------------------------------------


def _exif_blocks(read_at: ReadAt, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` of the raw EXIF (TIFF-structured) blocks of a JPEG, PNG or WEBP."""
    head = read_at(0, 12)
    if head[:2] == b"\xff\xd8":
        segments, _ = _jpeg_segments(read_at, size)
        return [
            (s + 10, e)
            for marker, s, e in segments
            if marker == _APP1 and e - s >= 10 and read_at(s + 4, 6) == b"Exif\0\0"
        ]
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        found, i = [], 8
        for _ in range(_MAX_STEPS):
            chunk = read_at(i, 8)
            if len(chunk) < 8:
                break
            length = int.from_bytes(chunk[:4], "big")
            kind = chunk[4:8]
            if kind == b"eXIf":
                found.append((i + 8, min(i + 8 + length, size)))
            if kind in (b"IDAT", b"IEND"):
                break
            i += 12 + length
        return found
    if head[:4] == b"RIFF":
        return [(s + 8, e) for kind, s, e in _webp_chunks(read_at, size) if kind == b"EXIF"]
    return []


_MAX_IFD_ENTRIES: Final = 512


def _exif_gps_at(read_at: ReadAt, start: int, end: int) -> bool:
    """Whether IFD0 of the TIFF-structured EXIF block at ``[start, end)`` points to a GPS IFD
    with entries; reads the TIFF header, IFD0's entries and the GPS IFD's entry count only."""

    def get(offset: int, n: int) -> bytes:
        if offset < 0 or start + offset + n > end:
            raise ValueError("outside the EXIF block")
        return read_at(start + offset, n)

    if end - start >= 6 and read_at(start, 6) == b"Exif\0\0":
        start += 6
    order = {b"II": "<", b"MM": ">"}.get(read_at(start, 2) if start + 2 <= end else b"")
    if order is None:
        return False
    (ifd,) = struct.unpack(order + "I", get(4, 4))
    (count,) = struct.unpack(order + "H", get(ifd, 2))
    n = min(count, _MAX_IFD_ENTRIES)
    available = max(0, min(12 * n, end - start - ifd - 2))
    entries = get(ifd + 2, available)
    for k in range(n):
        tag, _type, _count, value = struct.unpack_from(order + "HHII", entries, 12 * k)
        if tag == _GPS_TAG:
            if value + 2 > end - start:
                return True  # a GPS pointer past the block: still a GPS tag
            (gps_entries,) = struct.unpack(order + "H", get(value, 2))
            return bool(gps_entries > 0)
    return False
