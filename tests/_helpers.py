"""Shared test helpers: one way to make image bytes for every test module.

Importable as ``_helpers`` because pytest puts ``tests/`` (the home of the top ``conftest.py``)
on ``sys.path``.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """``image`` saved as ``fmt`` (``"PNG"``, ``"JPEG"``, ``"GIF"``, ...) with Pillow's options."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(size: tuple[int, int], colour: str | tuple[int, int, int] = "green") -> bytes:
    """A solid RGB PNG of ``size`` pixels."""
    return encode(Image.new("RGB", size, colour), "PNG")
