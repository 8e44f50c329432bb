"""Crafted hostile images, built byte by byte: decompression bombs and lying headers.

Shared by the crafted-input tests and ``benchmarks/bench_bombs.py``. Each builder returns the
encoded bytes; none needs more than a few MB to build.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, *, colour_type: int = 2) -> bytes:
    """A real PNG of ``width``x``height`` black pixels (zlib squeezes them to almost nothing)."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    row = b"\0" * (1 + width * channels)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
    )


def png_lying_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width``x``height`` with almost no image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b"")
    )


def apng_canvas(width: int, height: int) -> bytes:
    """An APNG (two frames) whose canvas is ``width``x``height`` and whose frames are 1x1."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    actl = struct.pack(">II", 2, 0)
    fctl = [struct.pack(">IIIIIHHBB", i * 2, 1, 1, 0, 0, 1, 10, 0, 0) for i in range(2)]
    pixel = zlib.compress(b"\0\0\0\0\0")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"acTL", actl)
        + _chunk(b"fcTL", fctl[0])
        + _chunk(b"IDAT", pixel)
        + _chunk(b"fcTL", fctl[1])
        + _chunk(b"fdAT", struct.pack(">I", 3) + pixel)
        + _chunk(b"IEND", b"")
    )


def webp_lossless_header(width: int, height: int) -> bytes:
    """A 36-byte lossless WEBP (VP8L) whose header claims ``width``x``height``."""
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\0" * 7
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def webp_animated_canvas(width: int, height: int, *, frames: int = 2) -> bytes:
    """An animated WEBP whose VP8X canvas is ``width``x``height``, with 1x1 lossless frames."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (1, 1), (255, 0, 0, 255)).save(buf, "WEBP", lossless=True)
    frame = buf.getvalue()[12:]  # the VP8L chunk
    vp8x = struct.pack("<B3x", 0x12) + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    anim = struct.pack("<IH", 0, 0)
    anmf = [
        _riff_chunk(b"ANMF", b"\0" * 6 + b"\0\0\0" + b"\0\0\0" + b"\x64\0\0" + b"\0" + frame)
        for _ in range(frames)
    ]
    body = b"WEBP" + _riff_chunk(b"VP8X", vp8x) + _riff_chunk(b"ANIM", anim) + b"".join(anmf)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif_canvas(width: int, height: int, *, frames: int = 1) -> bytes:
    """A GIF whose logical screen is ``width``x``height``, holding ``frames`` 1x1 images."""
    head = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    image = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 0.1 s
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW: min code size 2, one pixel
    )
    return head + image * frames + b"\x3b"


def gif_many_frames(n_bytes: int) -> bytes:
    """A GIF of about ``n_bytes`` made of tiny 1x1 frames (a frame-count walk of the whole)."""
    one = len(gif_canvas(1, 1, frames=2)) - len(gif_canvas(1, 1, frames=1))
    return gif_canvas(64, 64, frames=max(1, n_bytes // one))


def gif_long_chain(n_bytes: int) -> bytes:
    """A one-frame GIF whose image data is ``n_bytes`` of 1-byte sub-blocks: the longest
    chain a file of that size can hold (a walk of one step per sub-block takes seconds)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 64, 64, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 64, 64, 0) + b"\x02"
    return head + image + b"\x01\x00" * (n_bytes // 2) + b"\x00\x3b"


def jpeg_bomb(width: int, height: int) -> bytes:
    """A real baseline JPEG of ``width``x``height`` grey pixels (it compresses to a few MB)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (width, height), 128).save(buf, "JPEG", quality=10)
    return buf.getvalue()


def jpeg_lying_header(width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0) claims ``width``x``height`` with no scan data."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


def tiff_bomb(width: int, height: int) -> bytes:
    """A deflate-compressed TIFF of ``width``x``height`` black pixels (one big strip)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (width, height)).save(buf, "TIFF", compression="tiff_deflate")
    return buf.getvalue()


def bmp_lying_header(width: int, height: int) -> bytes:
    """A BMP whose header claims ``width``x``height`` 24-bit pixels with no pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


BOMBS: dict[str, Callable[[], bytes]] = {
    "webp-lossless-16383x10923 (36 B header)": lambda: webp_lossless_header(16383, 10923),
    "webp-lossless-9000x9000 header": lambda: webp_lossless_header(9000, 9000),
    "webp-animated-canvas-7000000x12": lambda: webp_animated_canvas(7_000_000, 12),
    "webp-animated-canvas-8000x8000": lambda: webp_animated_canvas(8000, 8000),
    "png-lying-100000x100000": lambda: png_lying_header(100_000, 100_000),
    "png-bomb-9000x9000 (zeros)": lambda: png_bomb(9000, 9000),
    "png-bomb-6000x4000 RGBA": lambda: png_bomb(6000, 4000, colour_type=6),
    "apng-canvas-9000x9000": lambda: apng_canvas(9000, 9000),
    "gif-canvas-65535x65535": lambda: gif_canvas(65535, 65535),
    "gif-canvas-9000x9000 two frames": lambda: gif_canvas(9000, 9000, frames=2),
    "gif-20MB-of-1x1-frames": lambda: gif_many_frames(20_000_000),
    "gif-20MB-of-1-byte-sub-blocks": lambda: gif_long_chain(20_000_000),
    "jpeg-lying-65500x65500": lambda: jpeg_lying_header(65500, 65500),
    "jpeg-bomb-9000x9000": lambda: jpeg_bomb(9000, 9000),
    "tiff-bomb-9000x9000 deflate": lambda: tiff_bomb(9000, 9000),
    "bmp-lying-30000x30000": lambda: bmp_lying_header(30000, 30000),
}
"""Name -> builder of each crafted bomb (the benchmark prints one line per name)."""
