"""Fuzz: mutated real files of every format reach no public entry point as an untyped error.

Seeds are small valid files (PNG, APNG, JPEG, progressive JPEG with EXIF, MPO, GIF, animated
GIF, WEBP lossy/lossless/animated, TIFF, BMP, ICO, TGA, DDS, HEIC, AVIF); mutations are
truncations, bit flips, byte overwrites and spliced garbage. Every entry point may refuse a
mutant, but only with the package's own error (``OpenAIVisionExtError``).
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from openai_vision_ext import (
    OpenAIVisionExtError,
    image_part,
    inspect_image,
    preflight,
    prepare_image,
)


def _save(
    fmt: str, mode: str = "RGB", size: tuple[int, int] = (24, 16), **options: object
) -> bytes:
    im = Image.new(mode, size, "teal" if mode in ("RGB", "RGBA") else 90)
    im.putpixel((1, 1), (255, 0, 0) if mode == "RGB" else im.getpixel((0, 0)))
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def _animated(fmt: str, **options: object) -> bytes:
    frames = [Image.new("RGB", (16, 12), c) for c in ("red", "blue", "green")]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=50, **options)
    return buf.getvalue()


def _exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825)[1] = "N"
    return _save("JPEG", progressive=True, exif=exif, comment=b"c")


def _heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _save("HEIF")


SEEDS: dict[str, Callable[[], bytes]] = {
    "png": lambda: _save("PNG"),
    "png-rgba": lambda: _save("PNG", "RGBA"),
    "png-16bit": lambda: _save("PNG", "I;16"),
    "apng": lambda: _animated("PNG"),
    "jpeg": lambda: _save("JPEG"),
    "jpeg-exif-progressive": _exif_jpeg,
    "jpeg-cmyk": lambda: _save("JPEG", "CMYK"),
    "mpo": lambda: _animated("MPO"),
    "gif": lambda: _save("GIF"),
    "gif-animated": lambda: _animated("GIF"),
    "webp": lambda: _save("WEBP"),
    "webp-lossless": lambda: _save("WEBP", lossless=True),
    "webp-animated": lambda: _animated("WEBP"),
    "tiff": lambda: _save("TIFF", compression="tiff_deflate"),
    "bmp": lambda: _save("BMP"),
    "ico": lambda: _save("ICO"),
    "tga": lambda: _save("TGA"),
    "dds": lambda: _save("DDS", "RGBA"),
    "heic": _heic,
    "avif": lambda: _save("AVIF"),
}
DATA = {name: build() for name, build in SEEDS.items()}


def _entry_points(data: bytes) -> list[Callable[[], object]]:
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    message = {"role": "user", "content": [{"type": "input_image", "image_url": url}]}
    return [
        lambda: inspect_image(data),
        lambda: image_part(data),
        lambda: image_part(data, optimize=True, model="gpt-4o", animated="first_frame"),
        lambda: prepare_image(data, optimize=False),
        lambda: prepare_image(data, animated="first_frame", keep_metadata=True),
        lambda: preflight(model="gpt-4o", input=[message]),
    ]


def _only_typed_errors(data: bytes) -> None:
    for call in _entry_points(data):
        with contextlib.suppress(OpenAIVisionExtError):
            call()


@pytest.mark.parametrize("name", sorted(DATA))
def test_every_seed_is_handled(name: str) -> None:
    """The unmutated seeds themselves: accepted, converted or refused with a typed error."""
    _only_typed_errors(DATA[name])


@pytest.mark.parametrize("name", sorted(DATA))
def test_every_truncation_of_every_seed_is_a_typed_error(name: str) -> None:
    """Cut at every 1/40th of the file (and the first 64 bytes one by one)."""
    data = DATA[name]
    cuts = sorted({*range(min(64, len(data))), *range(0, len(data), max(1, len(data) // 40))})
    for cut in cuts:
        _only_typed_errors(data[:cut])


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(DATA[draw(st.sampled_from(sorted(DATA)))])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "byte", "truncate", "splice", "duplicate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x01]))
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        else:
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants())
def test_mutated_files_give_only_typed_errors(data: bytes) -> None:
    """Bit flips, overwritten bytes, truncations, splices and duplicated runs: typed errors."""
    _only_typed_errors(data)
