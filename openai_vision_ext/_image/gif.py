"""PURE: count a GIF's frames by walking its block structure at C speed.

A GIF's frame count needs a walk through the whole file: after the logical screen come blocks
(extensions ``0x21``, image descriptors ``0x2C``, the trailer ``0x3B``), and every extension and
image carries a chain of length-prefixed data sub-blocks ended by a zero byte. A walk in Python
takes a step per sub-block: a crafted 20 MB GIF of 1-byte sub-blocks is ten million steps.

Here regular expressions do the walking (``re`` runs in C): :data:`_FRAMES` matches a run of
whole frames (extensions, then one image with its colour table and data), and ``subn`` on that
run counts them; :data:`_EXTENSIONS` skips a run of extensions. Python only steps per block when
a block does not fit in the window read (then the window moves) or at the end of the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = ["count_gif_frames"]

WINDOW: Final = 1 << 20
"""Bytes of a GIF read at once; a block longer than this is walked across windows."""


def _sub_blocks() -> bytes:
    """Any number of non-empty data sub-blocks (a length byte, then that many bytes)."""
    one = b"|".join(re.escape(bytes([n])) + b"[\\s\\S]{%d}" % n for n in range(1, 256))
    return b"(?:(?=[^\\x00])(?:" + one + b"))*+"  # the guard: a zero byte fails at once


def _color_table() -> bytes:
    """The packed byte of a descriptor, then the colour table it announces (if any)."""
    alternatives = [b"[\\x00-\\x7f]"]
    for n in range(8):
        packed = b"".join(re.escape(bytes([b])) for b in range(0x80, 0x100) if b & 7 == n)
        alternatives.append(b"[" + packed + b"][\\s\\S]{%d}" % (3 << (n + 1)))
    return b"(?:" + b"|".join(alternatives) + b")"


_SUB_BLOCKS: Final = _sub_blocks()
_CHAIN: Final = _SUB_BLOCKS + b"\\x00"
_EXTENSION: Final = b"\\x21[\\s\\S]" + _CHAIN
_IMAGE: Final = b"\\x2c[\\s\\S]{8}" + _color_table() + b"[\\s\\S]" + _CHAIN
_FRAME: Final = re.compile(b"(?:" + _EXTENSION + b")*+" + _IMAGE)
_FRAMES: Final = re.compile(b"(?:" + _FRAME.pattern + b")*+")
_EXTENSIONS: Final = re.compile(b"(?:" + _EXTENSION + b")*+")
_DATA: Final = re.compile(_SUB_BLOCKS)
_DESCRIPTOR: Final = re.compile(b"\\x2c[\\s\\S]{8}" + _color_table() + b"[\\s\\S]")


def _last(start: int, buf: bytes, size: int) -> bool:
    """Whether ``buf`` (read at ``start``) is the data's last window: it reaches ``size``, or
    ``read_at`` gave less than asked (only at the end, by its contract; never read again)."""
    return start + len(buf) >= size or len(buf) < WINDOW


def _end(pattern: re.Pattern[bytes], buf: bytes, pos: int) -> int:
    """Where a run of ``pattern`` (which also matches nothing) starting at ``pos`` ends."""
    match = pattern.match(buf, pos)
    assert match is not None  # a possessive ``*+`` always matches
    return match.end()


def count_gif_frames(read_at: Callable[[int, int], bytes], offset: int, size: int) -> int | None:
    """Image descriptors from ``offset`` (the first block after the global colour table).

    Stops at the trailer, at an unknown block or at the end of the data (a chain cut off by it
    ends the walk, like decoders do). ``None`` when the data ends inside an image descriptor.

    >>> gif = bytes.fromhex("2c 0000 0000 0100 0100 00 02 02 4c01 00 3b")
    >>> count_gif_frames(lambda o, n: gif[o : o + n], 0, len(gif))
    1
    """
    frames = 0
    start, buf = offset, read_at(offset, WINDOW)
    while True:
        i = offset - start
        if len(buf) - i < WINDOW // 2 and not _last(start, buf, size):
            start, buf, i = offset, read_at(offset, WINDOW), 0
        if i >= len(buf):
            return frames
        end = _end(_FRAMES, buf, i)
        if end > i:
            frames += _FRAME.subn(b"", memoryview(buf)[i:end])[1]
        i = _end(_EXTENSIONS, buf, end)
        offset = start + i
        if i >= len(buf) and not _last(start, buf, size):
            start, buf = offset, read_at(offset, WINDOW)  # a block starts at the window's end
            continue
        if i >= len(buf) or buf[i] not in (0x21, 0x2C):
            return frames  # the trailer, an unknown block, or the end of the data
        if buf[i] == 0x2C:
            head = _DESCRIPTOR.match(buf, i)
            if head is None:
                if _last(start, buf, size):
                    return None if len(buf) - i < 10 else frames + 1
                start, buf = offset, read_at(offset, WINDOW)  # the descriptor straddles: move
                continue
            frames += 1
            offset = start + head.end()
        else:
            offset += 2
        offset, start, buf = _skip_chain(read_at, offset, start, buf, size)
        if offset < 0:
            return frames  # the data ends inside a chain


def _skip_chain(
    read_at: Callable[[int, int], bytes], offset: int, start: int, buf: bytes, size: int
) -> tuple[int, int, bytes]:
    """Past the sub-block chain at ``offset``, moving the window as needed; -1 at the end."""
    while True:
        i = offset - start
        if i < len(buf):
            i = _end(_DATA, buf, i)
            if i < len(buf) and buf[i] == 0:
                return start + i + 1, start, buf
        if _last(start, buf, size):
            return -1, start, buf
        offset = start + i  # a sub-block straddles the window: read from its length byte
        start, buf = offset, read_at(offset, WINDOW)
        if not buf:
            return -1, start, buf
