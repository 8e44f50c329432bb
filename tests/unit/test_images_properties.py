"""Property tests: inspect_image never fails untyped, and reads real images' sizes exactly."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from openai_vision_ext._exceptions import ImageError
from openai_vision_ext._images import MAX_PIXELS, inspect_image

SIGNATURES = [
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"GIF89a",
    b"GIF87a",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"RIFF\x00\x01\x00\x00WEBPVP8L",
    b"RIFF\x00\x01\x00\x00WEBPVP8X",
    b"\x00\x00\x00\x18ftyp",
    b"",
]

FAST = settings(max_examples=150, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _inspect_or_image_error(data: bytes) -> None:
    try:
        info = inspect_image(data)
    except ImageError:
        return
    assert info.width > 0
    assert info.height > 0
    assert info.n_bytes == len(data)


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_raise_only_image_errors(data: bytes) -> None:
    """Arbitrary bytes give an ImageInfo or an ImageError, within the deadline."""
    _inspect_or_image_error(data)


@FAST
@given(st.sampled_from(SIGNATURES), st.binary(max_size=2048))
def test_random_bytes_after_a_real_signature_raise_only_image_errors(
    signature: bytes, tail: bytes
) -> None:
    """Garbage behind a valid signature reaches the parsers and still fails typed."""
    _inspect_or_image_error(signature + tail)


_SEEDS = {
    fmt: _encode(Image.new("RGB", (29, 17), (10, 120, 200)), fmt, **options)
    for fmt, options in [
        ("PNG", {}),
        ("JPEG", {}),
        ("GIF", {}),
        ("WEBP", {"lossless": True}),
        ("WEBP", {}),
    ]
}


@FAST
@given(
    st.sampled_from(sorted(_SEEDS)),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_corrupted_headers_raise_only_image_errors(fmt: str, edits: list[tuple[int, int]]) -> None:
    """Real images with bytes overwritten in their headers fail typed or still inspect."""
    data = bytearray(_SEEDS[fmt])
    for position, value in edits:
        if position < len(data):
            data[position] = value
    _inspect_or_image_error(bytes(data))


SIZES = st.tuples(st.integers(1, 400), st.integers(1, 400))


@settings(max_examples=40, deadline=2000)
@given(
    SIZES,
    st.sampled_from(
        [("PNG", {}), ("JPEG", {}), ("GIF", {}), ("WEBP", {}), ("WEBP", {"lossless": True})]
    ),
    st.sampled_from(["RGB", "L", "RGBA"]),
)
def test_dimensions_round_trip_through_real_encoders(
    size: tuple[int, int], codec: tuple[str, dict[str, Any]], mode: str
) -> None:
    """Any size encoded by Pillow is read back exactly, matching Image.open(...).size."""
    fmt, options = codec
    if fmt == "JPEG" and mode == "RGBA":
        mode = "RGB"
    data = _encode(Image.new(mode, size), fmt, **options)
    with Image.open(io.BytesIO(data)) as oracle:
        assert oracle.size == size
    info = inspect_image(data)
    assert (info.width, info.height) == size
    assert info.format == fmt.lower()


@settings(max_examples=20, deadline=2000)
@given(st.integers(1, 16383), st.integers(1, 16383))
def test_large_webp_canvas_sizes_round_trip(width: int, height: int) -> None:
    """A VP8X canvas size (24-bit fields) is read exactly up to WEBP's 16383 px maximum, for
    any size under the pixel limit (hand-built header: Pillow would need the pixels)."""
    assume(width * height <= MAX_PIXELS)
    vp8x = (
        b"VP8X"
        + (10).to_bytes(4, "little")
        + b"\x00\x00\x00\x00"
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    data = b"RIFF" + (4 + len(vp8x)).to_bytes(4, "little") + b"WEBP" + vp8x
    info = inspect_image(data)
    assert (info.width, info.height) == (width, height)
