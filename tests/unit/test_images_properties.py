"""Property tests: inspect_image never fails untyped, and reads real images' sizes exactly."""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _helpers import encode
from _private import MAX_PIXELS, normalize_mime
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from openai_vision_ext import (
    DecompressionBombError,
    ImageError,
    MimeMismatchError,
    PreflightError,
    Violation,
    inspect_image,
    preflight,
)

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
    fmt: encode(Image.new("RGB", (29, 17), (10, 120, 200)), fmt, **options)
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
    data = encode(Image.new(mode, size), fmt, **options)
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


# -- random dimensions in every format's header -----------------------------------------------


def _with_size(fmt: str, width: int, height: int) -> bytes:
    """A real image whose header declares ``width`` x ``height`` (pixels are never decoded)."""
    data = _SEEDS[fmt]
    if fmt == "PNG":
        return data[:16] + struct.pack(">II", width, height) + data[24:]
    if fmt == "JPEG":
        sof = data.index(b"\xff\xc0")
        return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]
    return data[:6] + struct.pack("<HH", width, height) + data[10:]  # GIF logical screen


@settings(max_examples=60, deadline=1000)
@given(st.sampled_from(["PNG", "JPEG", "GIF"]), st.integers(1, 65535), st.integers(1, 65535))
def test_any_declared_size_is_read_exactly_or_refused_as_a_bomb(
    fmt: str, width: int, height: int
) -> None:
    """Every size a 16-bit header can declare is read back exactly, unless it is over
    MAX_PIXELS, which raises DecompressionBombError (and nothing else does)."""
    data = _with_size(fmt, width, height)
    if width * height > MAX_PIXELS:
        with pytest.raises(DecompressionBombError):
            inspect_image(data)
    else:
        info = inspect_image(data)
        assert (info.format, info.width, info.height) == (fmt.lower(), width, height)


# -- data URLs ----------------------------------------------------------------------------------

MIMES = ["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/svg+xml"]


@FAST
@given(st.text(max_size=300))
def test_random_data_url_text_raises_only_image_errors(tail: str) -> None:
    """Whatever follows 'data:', the result is an ImageInfo or an ImageError subclass."""
    with contextlib.suppress(ImageError):
        inspect_image("data:" + tail)


@FAST
@given(st.sampled_from(MIMES), st.sampled_from([*_SEEDS.values(), b"", b"GIF8", b"<svg/>"]))
def test_a_data_url_is_accepted_only_when_its_mime_matches_its_bytes(
    declared: str, data: bytes
) -> None:
    """A well-formed data URL inspects to its declared type (image/jpg = image/jpeg), or
    raises: MimeMismatchError exactly when the bytes are a valid image of another type."""
    url = f"data:{declared};base64,{base64.b64encode(data).decode()}"
    try:
        actual = inspect_image(data).mime
    except ImageError as exc:
        with pytest.raises(type(exc)):
            inspect_image(url)
        return
    if normalize_mime(declared) == actual:
        assert inspect_image(url).mime == actual
    else:
        with pytest.raises(MimeMismatchError):
            inspect_image(url)


# -- every source kind agrees -----------------------------------------------------------------


def _outcome(source: object) -> object:
    try:
        info = inspect_image(source)  # type: ignore[arg-type]
    except ImageError as exc:
        return type(exc)
    return (info.format, info.width, info.height, info.frames, info.n_bytes, info.sha256)


@settings(max_examples=60, deadline=2000)
@given(st.one_of(st.binary(max_size=600), st.sampled_from(list(_SEEDS.values()))))
def test_bytes_file_object_and_path_give_the_same_result(data: bytes) -> None:
    """The same bytes as bytes, io.BytesIO and a file on disk: same info, or same error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.bin"
        path.write_bytes(data)
        expected = _outcome(data)
        assert _outcome(io.BytesIO(data)) == expected
        assert _outcome(path) == expected


# -- preflight over random requests ---------------------------------------------------------

_URLS = st.one_of(
    st.sampled_from(
        [f"data:image/png;base64,{base64.b64encode(_SEEDS['PNG']).decode()}", "https://e.com/a"]
    ),
    st.builds(
        lambda m, b: f"data:{m};base64,{base64.b64encode(b).decode()}",
        st.sampled_from(MIMES),
        st.binary(max_size=64),
    ),
    st.text(max_size=40),
)
_PARTS = st.fixed_dictionaries(
    {"type": st.just("input_image")},
    optional={
        "image_url": _URLS,
        "file_id": st.text(max_size=8),
        "detail": st.one_of(
            st.sampled_from(["low", "high", "auto", "original"]), st.text(max_size=6)
        ),
    },
)


@FAST
@given(st.lists(_PARTS, max_size=6))
def test_preflight_on_random_parts_raises_only_preflight_error_and_never_mutates(
    parts: list[dict[str, object]],
) -> None:
    """Any mix of good and bad image parts gives an outcome or one PreflightError, and the
    request is left exactly as it was."""
    request: dict[str, Any] = {"input": [{"role": "user", "content": parts}]}
    before = copy.deepcopy(request)
    violations: tuple[Violation, ...] = ()
    try:
        outcome = preflight(model="gpt-4o", **request)
    except PreflightError as exc:
        violations = exc.violations
        assert violations
    else:
        assert len(outcome.images) == len(parts)
    assert all(v.image_index is None or 0 <= v.image_index < len(parts) for v in violations)
    assert request == before
