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
:func:`has_gps` tells whether an image's EXIF holds a GPS block, from the same walk.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = ["has_gps", "strip_metadata"]

_APP0, _APP1, _APP2, _APP13, _APP14, _COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
_SOS, _EOI = 0xDA, 0xD9
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
_GPS_TAG: Final = 0x8825
_PNG_DROPPED: Final = {b"tEXt": "text", b"zTXt": "text", b"iTXt": "text", b"eXIf": "exif"}
_PNG_DROPPED_SILENTLY: Final = frozenset({b"tIME"})


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


def has_gps(data: bytes) -> bool:
    """Whether the image's EXIF holds a non-empty GPS block (JPEG, PNG, WEBP).

    >>> has_gps(b"\\xff\\xd8\\xff\\xd9")
    False
    """
    try:
        return any(_exif_has_gps(exif) for exif in _exif_blocks(data))
    except (IndexError, ValueError, struct.error):
        return False


# -- JPEG ----------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """``[(marker, start, end)]`` of the segments before the first scan, and the SOS offset."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    segments: list[tuple[int, int, int]] = []
    i = 2
    while True:
        while data[i] == 0xFF and data[i + 1] == 0xFF:  # fill bytes
            i += 1
        if data[i] != 0xFF:  # junk between segments: skip to the next marker, like decoders
            i = data.index(b"\xff", i)
            continue
        marker = data[i + 1]
        if marker == _SOS:
            return segments, i
        if marker in _STANDALONE:
            segments.append((marker, i, i + 2))
            i += 2
            continue
        if marker == _EOI:
            raise ValueError("no scan")
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            raise ValueError("bad segment length")
        segments.append((marker, i, i + 2 + length))
        i += 2 + length


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
    segments, sos = _jpeg_segments(data)
    removed: list[str] = []
    kept = [data[:2]]
    for marker, start, end in segments:
        kind = _app_kind(marker, data[start + 4 : start + 64])
        if kind is None:
            kept.append(data[start:end])
            continue
        if kind == "exif" and _exif_has_gps(data[start + 10 : end]):
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
            if kind == b"eXIf" and _exif_has_gps(data[i + 8 : end - 4]):
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


def _webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WEBP")
    end = min(len(data), int.from_bytes(data[4:8], "little") + 8)
    chunks: list[tuple[bytes, int, int]] = []
    i = 12
    while i + 8 <= end:
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        stop = i + 8 + size + (size & 1)
        if i + 8 + size > end:
            raise ValueError("truncated chunk")
        chunks.append((data[i : i + 4], i, min(stop, end)))
        i = stop
    return chunks


def _strip_webp(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    removed: list[str] = []
    body = [b"WEBP"]
    for kind, start, end in _webp_chunks(data):
        if kind == b"EXIF":
            if _exif_has_gps(data[start + 8 : end]):
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


def _exif_blocks(data: bytes) -> list[bytes]:
    """The raw EXIF (TIFF-structured) blocks of a JPEG, PNG or WEBP."""
    if data[:2] == b"\xff\xd8":
        segments, _ = _jpeg_segments(data)
        return [
            data[s + 10 : e]
            for marker, s, e in segments
            if marker == _APP1 and data[s + 4 : s + 10] == b"Exif\0\0"
        ]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        found, i = [], 8
        while i + 8 <= len(data):
            length = int.from_bytes(data[i : i + 4], "big")
            kind = data[i + 4 : i + 8]
            if kind == b"eXIf":
                found.append(data[i + 8 : i + 8 + length])
            if kind in (b"IDAT", b"IEND"):
                break
            i += 12 + length
        return found
    if data[:4] == b"RIFF":
        return [data[s + 8 : e] for kind, s, e in _webp_chunks(data) if kind == b"EXIF"]
    return []


def _exif_has_gps(exif: bytes) -> bool:
    """Whether IFD0 of a TIFF-structured EXIF block points to a GPS IFD with entries."""
    exif = exif.removeprefix(b"Exif\0\0")
    order = {b"II": "<", b"MM": ">"}.get(exif[:2])
    if order is None:
        return False
    (ifd,) = struct.unpack_from(order + "I", exif, 4)
    (count,) = struct.unpack_from(order + "H", exif, ifd)
    for n in range(min(count, 512)):
        tag, _type, _count, value = struct.unpack_from(order + "HHII", exif, ifd + 2 + 12 * n)
        if tag == _GPS_TAG:
            if value + 2 > len(exif):
                return True  # a GPS pointer past the block: still a GPS tag
            (entries,) = struct.unpack_from(order + "H", exif, value)
            return bool(entries > 0)
    return False
