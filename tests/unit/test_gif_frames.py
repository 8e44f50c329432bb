"""A GIF's frame count: exact, at C speed, on crafted block structures across read windows.

The reference below is the plain walk (one Python step per block and per data sub-block);
``inspect_image`` must agree with it on every structure, including blocks longer than the
1 MiB window the walk reads at once, files cut anywhere and garbage between blocks.
"""

from __future__ import annotations

import random
import struct
import time

import pytest
from _crafted import gif_long_chain

from openai_vision_ext import CorruptImageError, inspect_image

SCREEN = b"GIF89a" + struct.pack("<HHBBB", 64, 48, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
"""A 64x48 logical screen with a 2-colour global table (13 + 6 bytes)."""


def reference_frames(data: bytes) -> int | None:
    """The plain walk: ``None`` when the data ends inside a descriptor, else the count."""
    i, frames = len(SCREEN), 0
    while i < len(data):
        if data[i] == 0x2C:
            if i + 10 > len(data):
                return None
            packed = data[i + 9]
            i += 10 + ((3 << ((packed & 7) + 1)) if packed & 0x80 else 0) + 1
            frames += 1
        elif data[i] == 0x21:
            i += 2
        else:
            break
        while i < len(data) and data[i]:
            i += 1 + data[i]
        i += 1
    return frames


def _chain(rng: random.Random) -> bytes:
    out = b""
    for _ in range(rng.choice([0, 1, 2, 7, 300, 1000])):
        n = rng.choice([1, 2, 254, 255, rng.randrange(1, 256)])
        out += bytes([n]) + rng.randbytes(n)
    return out + b"\0"


def _block(rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        packed = rng.choice([0, 0x80, 0x87, 0x40, rng.randrange(256)])
        table = (3 << ((packed & 7) + 1)) if packed & 0x80 else 0
        head = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + bytes([packed])
        return head + rng.randbytes(table) + b"\x02" + _chain(rng)
    return b"\x21" + bytes([rng.randrange(256)]) + _chain(rng)


def _gif(rng: random.Random) -> bytes:
    blocks = b"".join(_block(rng) for _ in range(rng.choice([1, 4, 40, 200])))
    return SCREEN + blocks + rng.choice([b";", b"", b"\x99 trailing"])


def _damaged(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    kind = rng.choice(["cut", "bytes", "splice"])
    if kind == "cut":
        del out[rng.randrange(len(SCREEN), len(out) + 1) :]
    elif kind == "bytes":
        for _ in range(3):
            out[rng.randrange(len(SCREEN), len(out))] = rng.choice([0, 0x21, 0x2C, 0x3B, 0xFF])
    else:
        at = rng.randrange(len(SCREEN), len(out) + 1)
        out[at:at] = rng.randbytes(rng.randrange(1, 40))
    return bytes(out)


def _counted(data: bytes) -> int | None:
    try:
        return inspect_image(data).frames
    except CorruptImageError as exc:
        return None if "inside a GIF image descriptor" in str(exc) else 0


@pytest.mark.parametrize("seed", range(6))
def test_the_frame_count_matches_the_plain_walk(seed: int) -> None:
    """Random structures (up to a few MB: blocks straddle the read window), then damaged."""
    rng = random.Random(seed)
    for _ in range(4):
        data = _gif(rng)
        assert _counted(data) == reference_frames(data)
        for _ in range(6):
            damaged = _damaged(rng, data)
            assert _counted(damaged) == reference_frames(damaged)


def test_a_block_longer_than_the_window_is_walked_across_windows() -> None:
    """One image whose data (3 MB of 255-byte sub-blocks) spans three windows, then a second."""
    long_data = (b"\xff" + bytes(255)) * 12_000 + b"\0"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02"
    data = SCREEN + image + long_data + image + b"\x01\x00\x00;"
    assert reference_frames(data) == 2
    assert inspect_image(data).frames == 2


@pytest.mark.parametrize(
    ("name", "data", "frames"),
    [
        ("20 MB of 1-byte sub-blocks", gif_long_chain(20_000_000), 1),
        (
            "6.7 million comment extensions",
            SCREEN + b"\x21\xfe\x00" * 6_666_666 + b"\x2c" + bytes(8) + b"\0\x02\x00;",
            1,
        ),
    ],
)
def test_crafted_20mb_structures_are_counted_exactly_in_bounded_time(
    name: str, data: bytes, frames: int
) -> None:
    """Ten million steps for a walk in Python; bound: the 5 s target x3 for a loaded CI box,
    as the hostile-input suite allows."""
    start = time.perf_counter()
    assert inspect_image(data).frames == frames
    assert time.perf_counter() - start < 15.0, name
