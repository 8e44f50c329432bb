"""image_part / image_url_part: the SDK's TypedDicts from any source, validated."""

from __future__ import annotations

import base64
import io
import os
import random
from pathlib import Path
from typing import Any

import pytest
from _helpers import encode
from _private import build_data_url, check_detail, sources_module
from _private import prepare_module as _prepare
from PIL import Image

from openai_vision_ext import (
    DEFAULT_LIMITS,
    DETAILS,
    AnimatedImageError,
    EmptyImageError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    InvalidDetailError,
    MimeMismatchError,
    UnsupportedImageFormatError,
    image_part,
    image_url_part,
)

JPEG = encode(Image.new("RGB", (30, 20), "green"), "JPEG")
PNG = encode(Image.new("RGB", (30, 20), "green"), "PNG")
URL = "https://example.com/cat.png"


def decode_url(url: str) -> tuple[str, bytes]:
    header, _, payload = url.partition(",")
    return header, base64.b64decode(payload, validate=True)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)
    return path


def test_photo_with_low_detail_just_works(photo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """image_part("photo.jpg", detail="low") gives an input_image with a JPEG data URL."""
    monkeypatch.chdir(photo.parent)
    part = image_part("photo.jpg", detail="low")
    assert sorted(part) == ["detail", "image_url", "type"]
    assert (part["type"], part["detail"]) == ("input_image", "low")
    assert decode_url(part["image_url"] or "") == ("data:image/jpeg;base64", JPEG)


def test_mime_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    """A PNG named .jpg is sent as image/png."""
    path = tmp_path / "actually-png.jpg"
    path.write_bytes(PNG)
    assert (image_part(path)["image_url"] or "").startswith("data:image/png;base64,")


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview, io.BytesIO])
def test_in_memory_sources_become_data_urls(wrap: Any) -> None:
    """bytes-likes and binary file objects are encoded exactly."""
    part = image_part(wrap(PNG))
    assert decode_url(part["image_url"] or "") == ("data:image/png;base64", PNG)


def test_pil_image_becomes_a_png_data_url() -> None:
    """A PIL image is sent as PNG."""
    part = image_part(Image.new("RGB", (5, 6)))
    header, data = decode_url(part["image_url"] or "")
    assert header == "data:image/png;base64"
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.size == (5, 6)


def test_http_url_passes_through_unchanged() -> None:
    """An http(s) URL is not fetched nor altered."""
    assert image_part(URL, detail="high") == {
        "type": "input_image",
        "image_url": URL,
        "detail": "high",
    }


def test_valid_data_url_passes_through_unchanged() -> None:
    """An existing data URL is checked, then sent as given (same string)."""
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert image_part(url)["image_url"] is url


def test_image_jpg_data_url_is_accepted_as_jpeg() -> None:
    """image/jpg is an alias of image/jpeg, not a mismatch."""
    url = "data:image/jpg;base64," + base64.b64encode(JPEG).decode()
    assert image_part(url)["image_url"] == url


def test_data_url_with_wrong_mime_is_a_mismatch() -> None:
    """Declared image/jpeg with PNG bytes raises MimeMismatchError naming both."""
    url = "data:image/jpeg;base64," + base64.b64encode(PNG).decode()
    with pytest.raises(MimeMismatchError) as caught:
        image_part(url)
    assert (caught.value.declared, caught.value.actual) == ("image/jpeg", "image/png")


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png," + "iVBORw0KGgo",
        "data:image/png;base64",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png;base64,iVBORw0KGgo=!",
        "data:image/png;base64,iVBO\nRw0KGgo=",
        "data:image/png;base64,iVB",
    ],
    ids=["not-base64", "no-comma", "not-image", "bad-char", "newline", "bad-padding"],
)
def test_malformed_data_urls_are_refused(url: str) -> None:
    """Malformed data URLs raise InvalidDataURLError."""
    with pytest.raises(InvalidDataURLError):
        image_part(url)


def test_file_id_gives_a_file_part() -> None:
    """file_id= gives {"type", "file_id", "detail"} and nothing else."""
    assert image_part(file_id="file-123", detail="low") == {
        "type": "input_image",
        "file_id": "file-123",
        "detail": "low",
    }


def test_source_and_file_id_together_are_refused() -> None:
    """Exactly one of source and file_id."""
    with pytest.raises(ImageSourceError, match=r"exactly one .* got both"):
        image_part(URL, file_id="file-123")


def test_neither_source_nor_file_id_is_refused() -> None:
    """Calling with nothing raises ImageSourceError."""
    with pytest.raises(ImageSourceError, match="got neither"):
        image_part()


def test_empty_file_id_is_refused() -> None:
    """An empty file id is not an id."""
    with pytest.raises(ImageSourceError, match="file_id"):
        image_part(file_id="")


@pytest.mark.parametrize("detail", DETAILS)
def test_every_sdk_detail_is_accepted(detail: Any) -> None:
    """low, high, auto and original all pass."""
    assert image_part(URL, detail=detail)["detail"] == detail


@pytest.mark.parametrize("detail", ["medium", "LOW", "", None, 1])
def test_other_details_are_refused_naming_the_allowed_ones(detail: Any) -> None:
    """Anything else raises InvalidDetailError listing low/high/auto/original."""
    with pytest.raises(InvalidDetailError, match="'low', 'high', 'auto', 'original'"):
        image_part(URL, detail=detail)


def test_check_detail_returns_the_valid_value() -> None:
    """check_detail returns the detail it validated."""
    assert check_detail("original") == "original"


def test_unsupported_image_is_refused(tmp_path: Path) -> None:
    """An SVG raises UnsupportedImageFormatError."""
    path = tmp_path / "logo.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(UnsupportedImageFormatError):
        image_part(path)


def test_animated_image_is_refused() -> None:
    """An animated GIF raises AnimatedImageError."""
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(AnimatedImageError):
        image_part(data)


def test_empty_image_is_refused() -> None:
    """Zero bytes raise EmptyImageError."""
    with pytest.raises(EmptyImageError):
        image_url_part(b"")


def _png_of_size(n_bytes: int) -> bytes:
    """A valid PNG header padded (after IEND) to exactly n_bytes."""
    return PNG + bytes(n_bytes - len(PNG))


def test_image_exactly_at_the_byte_limit_is_sent() -> None:
    """An image of exactly the per-image limit (decoded bytes) passes."""
    limit = DEFAULT_LIMITS.max_image_bytes
    part = image_part(_png_of_size(limit))
    assert len(part["image_url"] or "") == len("data:image/png;base64,") + 4 * -(-limit // 3)


def test_image_one_byte_over_the_limit_is_refused() -> None:
    """One byte more raises ImageTooLargeError."""
    limit = DEFAULT_LIMITS.max_image_bytes
    with pytest.raises(ImageTooLargeError) as caught:
        image_part(_png_of_size(limit + 1))
    assert (caught.value.n_bytes, caught.value.limit) == (limit + 1, limit)


def _noise_gif(side: int, colours: int) -> tuple[bytes, Image.Image]:
    """A still GIF of random pixels from ``colours`` random colours, and its pixels (RGB)."""
    rng = random.Random(side * colours)
    table = bytes(i % colours for i in range(256))
    im = Image.frombytes("P", (side, side), rng.randbytes(side * side).translate(table))
    im.putpalette(rng.randbytes(3 * colours))
    return encode(im, "GIF"), im.convert("RGB")


def test_optimize_reencodes_a_still_gif_over_the_byte_limit_to_fit() -> None:
    """A GIF just over 20 MB that needs no resize goes out as a lossless PNG under the limit
    (it was refused with a message telling the user to pass optimize=True)."""
    gif, pixels = _noise_gif(4700, 64)
    assert len(gif) > DEFAULT_LIMITS.max_image_bytes
    header, sent = decode_url(image_part(gif, optimize=True)["image_url"] or "")
    assert header == "data:image/png;base64"
    assert len(sent) <= DEFAULT_LIMITS.max_image_bytes
    with Image.open(io.BytesIO(sent)) as out:
        assert out.convert("RGB").tobytes() == pixels.tobytes()
    assert _prepare.prepare_image(gif).actions == ("reencoded",)


def test_optimize_says_what_works_when_reencoding_cannot_fit() -> None:
    """Random pixels of 256 colours stay over 20 MB as PNG: the error says to downscale or
    send a JPEG, not to pass the optimize=True that was passed."""
    gif, _pixels = _noise_gif(4600, 256)
    with pytest.raises(ImageTooLargeError) as caught:
        image_part(gif, optimize=True)
    assert caught.value.n_bytes > caught.value.limit == DEFAULT_LIMITS.max_image_bytes
    assert "optimize=True" not in str(caught.value)
    assert "downscale it" in str(caught.value)


def test_optimize_sends_a_padded_png_over_the_limit_reencoded() -> None:
    """JPEG/PNG alike: a PNG over the limit only by trailing padding is re-encoded to fit."""
    part = image_part(_png_of_size(DEFAULT_LIMITS.max_image_bytes + 1), optimize=True)
    header, sent = decode_url(part["image_url"] or "")
    assert (header, Image.open(io.BytesIO(sent)).size) == ("data:image/png;base64", (30, 20))
    assert len(sent) < len(PNG) * 2


def test_chat_part_has_the_chat_shape(photo: Path) -> None:
    """image_url_part gives {"type": "image_url", "image_url": {"url", "detail"}}."""
    part = image_url_part(photo, detail="high")
    assert part["type"] == "image_url"
    assert part["image_url"]["detail"] == "high"
    assert decode_url(part["image_url"]["url"]) == ("data:image/jpeg;base64", JPEG)


def test_chat_part_passes_urls_through() -> None:
    """http(s) URLs pass through unchanged in Chat parts too."""
    assert image_url_part(URL)["image_url"] == {"url": URL, "detail": "auto"}


def test_chat_part_refuses_bad_detail() -> None:
    """Chat parts validate detail the same way."""
    with pytest.raises(InvalidDetailError):
        image_url_part(URL, detail="ultra")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"optimize": True},
        {"model": "gpt-4o"},
        {"fetch": True},
        {"animated": "first_frame"},
        {"keep_metadata": True},
        {"model": "gpt-4o", "max_tokens": 500},
    ],
    ids=["optimize", "model", "fetch", "animated", "keep_metadata", "max_tokens"],
)
def test_preparation_options_delegate_to_prepare_image(
    options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any preparation option hands the source and all options to prepare_image."""
    calls: list[tuple[object, dict[str, Any]]] = []

    def fake(source: object, **kwargs: Any) -> _prepare.PreparedImage:
        calls.append((source, kwargs))
        return _prepare.PreparedImage.from_url("https://example.com/prepared.png")

    monkeypatch.setattr(_prepare, "prepare_image", fake)
    part = image_part(URL, detail="low", **options)
    assert part["image_url"] == "https://example.com/prepared.png"
    expected = {
        "detail": "low",
        "model": None,
        "optimize": False,
        "fetch": False,
        "animated": "reject",
        "keep_metadata": False,
        "jpeg_quality": 85,
        "fetch_options": None,
        "max_tokens": None,
        "max_usd": None,
        "min_side": None,
        "prefer": "size",
        **options,
    }
    assert calls == [(URL, expected)]


def test_optimize_with_a_model_sends_the_size_the_server_would_use() -> None:
    """A 4000x3000 image with optimize=True for gpt-4o high is sent at most 2048 px wide."""
    data = encode(Image.new("RGB", (4000, 3000), "teal"), "PNG")
    part = image_part(data, optimize=True, model="gpt-4o", detail="high")
    _, sent = decode_url(part["image_url"] or "")
    with Image.open(io.BytesIO(sent)) as decoded:
        assert max(decoded.size) <= 2048
        assert decoded.size[0] * 3 == decoded.size[1] * 4


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_build_data_url_round_trips(wrap: Any) -> None:
    """The payload decodes back to the input bytes, for every length modulo 3."""
    for data in (b"", b"a", b"ab", b"abc", bytes(range(256))):
        url = build_data_url(wrap(data), "image/png")
        assert decode_url(url) == ("data:image/png;base64", data)


# -- animations, phone JPEGs, big files ------------------------------------------------------


def _two_frames(fmt: str) -> bytes:
    frames = [Image.new("RGB", (6, 4), c) for c in ("red", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:])


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"], ids=["gif", "webp", "apng"])
@pytest.mark.parametrize("make", [image_part, image_url_part], ids=["responses", "chat"])
def test_every_kind_of_animation_is_refused(fmt: str, make: Any) -> None:
    """Animated GIF, animated WEBP and APNG raise AnimatedImageError with 2 frames."""
    data = _two_frames(fmt)
    with Image.open(io.BytesIO(data)) as oracle:
        assert getattr(oracle, "n_frames", 1) == 2
    with pytest.raises(AnimatedImageError) as caught:
        make(data)
    assert caught.value.frames == 2


def test_phone_mpo_jpeg_is_sent_as_jpeg() -> None:
    """A JPEG that Pillow opens as MPO (phones save these) is sent, byte for byte, as JPEG."""
    data = _two_frames("MPO")
    with Image.open(io.BytesIO(data)) as oracle:
        assert oracle.format == "MPO"
    assert decode_url(image_part(data)["image_url"] or "") == ("data:image/jpeg;base64", data)


def test_a_file_over_the_limit_is_refused_by_name_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1 GiB (sparse) PNG path raises ImageTooLargeError naming the file, after reading only
    its header."""
    _sources = sources_module
    path = tmp_path / "scan.png"
    path.write_bytes(PNG)
    os.truncate(path, 1 << 30)
    read: list[int] = []
    real = _sources._pread

    def counted(fd: int, n: int, offset: int) -> bytes:
        read.append(n)
        return real(fd, n, offset)

    monkeypatch.setattr(_sources, "_pread", counted)
    with pytest.raises(ImageTooLargeError, match=r"^'scan\.png' is 1,073,741,824 bytes"):
        image_part(path)
    assert sum(read) <= 4096


def test_errors_about_a_path_name_the_file(tmp_path: Path) -> None:
    """HTML saved as cat.png is refused with the file's name and what it really is."""
    path = tmp_path / "cat.png"
    path.write_bytes(b"<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(UnsupportedImageFormatError, match=r"^'cat\.png' is an HTML page"):
        image_part(path, detail="low")
